#include "core/formats/stage_ops.h"

#include "core/formats/graph_builder.h"
#include "core/formats/stage_lowering.h"
#include "core/model/net.h"
#include "core/util/join.h"
#include "core/util/torch_error.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>

namespace lathe::formats {

const char *opKindName(OpKind kind)
{
    switch (kind) {
    case OpKind::Linear: return "Linear";
    case OpKind::Conv2d: return "Conv2d";
    case OpKind::ChannelAffine: return "ChannelAffine";
    case OpKind::Relu: return "Relu";
    case OpKind::Gelu: return "Gelu";
    case OpKind::MaxPool2d: return "MaxPool2d";
    case OpKind::AvgPool2d: return "AvgPool2d";
    case OpKind::GlobalAvgPool: return "GlobalAvgPool";
    case OpKind::Flatten: return "Flatten";
    case OpKind::Reshape: return "Reshape";
    case OpKind::Transpose: return "Transpose";
    case OpKind::Select: return "Select";
    case OpKind::MatMul: return "MatMul";
    case OpKind::DivScalar: return "DivScalar";
    case OpKind::Softmax: return "Softmax";
    case OpKind::Add: return "Add";
    case OpKind::LayerNorm: return "LayerNorm";
    case OpKind::PrependToken: return "PrependToken";
    case OpKind::Mul: return "Mul";
    case OpKind::Sub: return "Sub";
    case OpKind::Sigmoid: return "Sigmoid";
    case OpKind::Hardsigmoid: return "Hardsigmoid";
    case OpKind::Hardswish: return "Hardswish";
    case OpKind::Concat: return "Concat";
    case OpKind::Slice: return "Slice";
    case OpKind::Expand: return "Expand";
    }
    return "?";
}

namespace {

torch::Tensor optional(const std::vector<torch::Tensor> &in, std::size_t i)
{
    return i < in.size() ? in[i] : torch::Tensor();
}

torch::Tensor evaluatePooling(const Op &op, const torch::Tensor &x)
{
    const auto &v = op.ints;
    if (op.kind == OpKind::MaxPool2d)
        return torch::max_pool2d(x, {v[0], v[1]}, {v[2], v[3]}, {v[4], v[5]});
    if (op.kind == OpKind::AvgPool2d)
        return torch::avg_pool2d(x, {v[0], v[1]}, {v[2], v[3]}, {v[4], v[5]}, false, v[6] != 0);
    return torch::adaptive_avg_pool2d(x, {1, 1});
}

torch::Tensor evaluateExpand(const Op &op, const std::vector<torch::Tensor> &in)
{
    const auto &v = op.ints;
    const bool fromRef = in.size() > 1;
    std::vector<std::int64_t> shape(v.begin(), v.end() - (fromRef ? 2 : 0));
    if (fromRef)
        shape.at(static_cast<std::size_t>(v[v.size() - 2])) = in[1].size(v.back());
    return in[0].expand(shape);
}

} // namespace

torch::Tensor evaluateOp(const Op &op, const std::vector<torch::Tensor> &in)
{
    const auto &x = in.at(0);
    const auto &v = op.ints;
    switch (op.kind) {
    case OpKind::Linear: return torch::linear(x, in.at(1), optional(in, 2));
    case OpKind::Conv2d:
        return torch::conv2d(x, in.at(1), optional(in, 2), {v[0], v[1]}, {v[2], v[3]}, {v[4], v[5]},
                             v[6]);
    case OpKind::ChannelAffine: return x * in.at(1) + in.at(2);
    case OpKind::Relu: return torch::relu(x);
    case OpKind::Gelu: return torch::gelu(x);
    case OpKind::MaxPool2d:
    case OpKind::AvgPool2d:
    case OpKind::GlobalAvgPool: return evaluatePooling(op, x);
    case OpKind::Flatten: return torch::flatten(x, 1);
    case OpKind::Reshape: return x.reshape(v);
    case OpKind::Transpose: return x.permute(v);
    case OpKind::Select: return x.select(v.at(0), v.at(1));
    case OpKind::MatMul: return torch::matmul(x, in.at(1));
    case OpKind::DivScalar: return x / op.scalar;
    case OpKind::Softmax: return torch::softmax(x, v.at(0));
    case OpKind::Add: return x + in.at(1);
    case OpKind::LayerNorm:
        return torch::layer_norm(x, {x.size(-1)}, in.at(1), in.at(2), op.scalar);
    case OpKind::PrependToken: return torch::cat({in.at(1).expand({x.size(0), -1, -1}), x}, 1);
    case OpKind::Mul: return x * in.at(1);
    case OpKind::Sub: return x - in.at(1);
    case OpKind::Sigmoid: return torch::sigmoid(x);
    case OpKind::Hardsigmoid: return torch::hardsigmoid(x);
    case OpKind::Hardswish: return torch::hardswish(x);
    case OpKind::Concat: return torch::cat(in, v.at(0));
    case OpKind::Slice: return x.slice(v.at(0), v.at(1), v.at(2), v.at(3));
    case OpKind::Expand: return evaluateExpand(op, in);
    }
    throw std::logic_error("unknown op kind");
}

GraphBuilder::GraphBuilder(StageGraph &graph, torch::Tensor probe, torch::Tensor wideProbe)
    : m_graph(graph)
{
    m_probes[m_graph.input] = std::move(probe);
    if (wideProbe.defined())
        m_wide[m_graph.input] = std::move(wideProbe);
}

std::string GraphBuilder::unique(const std::string &base)
{
    std::string name = base;
    for (int n = 2; m_probes.count(name); ++n)
        name = base + "_" + std::to_string(n);
    return name;
}

std::string GraphBuilder::constant(const std::string &name, const torch::Tensor &tensor)
{
    const auto unique = this->unique(name);
    auto copy = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous().clone();
    m_probes[unique] = copy;
    m_wide[unique] = copy;
    m_graph.constants.push_back({unique, std::move(copy)});
    return unique;
}

std::string GraphBuilder::emit(Op op)
{
    op.output = unique(op.name);
    op.name = op.output;
    std::vector<torch::Tensor> inputs;
    for (const auto &input : op.inputs)
        inputs.push_back(probe(input));
    op.inputRank = static_cast<int>(inputs.at(0).dim());
    m_probes[op.output] = evaluateOp(op, inputs);
    std::vector<torch::Tensor> wide;
    for (const auto &input : op.inputs) {
        if (const auto found = m_wide.find(input); found != m_wide.end())
            wide.push_back(found->second);
    }
    // Only ops that hold for any batch size are emitted, so this cannot fail but for a bug;
    // the script lowering, the one reader of the wide probes, then says so.
    if (wide.size() == op.inputs.size()) {
        try {
            m_wide[op.output] = evaluateOp(op, wide);
        } catch (const std::exception &) {
        }
    }
    m_graph.ops.push_back(op);
    return op.output;
}

std::string GraphBuilder::emit(OpKind kind, const std::string &name,
                               std::vector<std::string> inputs, std::vector<std::int64_t> ints,
                               double scalar)
{
    return emit(Op{kind, name, std::move(inputs), {}, std::move(ints), scalar, 0});
}

const torch::Tensor &GraphBuilder::probe(const std::string &value) const
{
    const auto found = m_probes.find(value);
    if (found == m_probes.end())
        throw std::logic_error("no value named \"" + value + "\" in the export graph");
    return found->second;
}

const torch::Tensor &GraphBuilder::wideProbe(const std::string &value) const
{
    const auto found = m_wide.find(value);
    if (found == m_wide.end())
        throw std::logic_error("no wide probe of the value \"" + value + "\" in the export graph");
    return found->second;
}

namespace {

// A deterministic probe with varied values (zeros would hide a wrong bias or a swapped
// operand), in the range of normalised images.
// The first sample of every batch is the same.
torch::Tensor probeInput(const std::vector<std::int64_t> &shape, std::int64_t batch = 1)
{
    std::vector<std::int64_t> full{batch};
    full.insert(full.end(), shape.begin(), shape.end());
    const auto count = std::max<std::int64_t>(1, c10::multiply_integers(shape)) * batch;
    return torch::sin(torch::arange(count, torch::kFloat32) * 0.37f).reshape(full);
}

std::string shapeText(const std::vector<std::int64_t> &shape)
{
    return "{" + util::join(shape) + "}";
}

// Each stage's lowering must reproduce the stage: a mismatch is a bug in the lowering, and
// exporting a silently wrong model is worse than refusing.
Result<void> checkStage(const std::string &stage, const torch::Tensor &lowered,
                        const torch::Tensor &expected)
{
    const bool same = lowered.sizes() == expected.sizes()
                      && (lowered - expected).abs().max().item<double>()
                             <= 1e-4 * (1.0 + expected.abs().max().item<double>());
    if (same)
        return {};
    return fail(ErrorCode::Internal,
                "the exported ops of stage \"" + stage + "\" do not reproduce it", stage);
}

// The stages whose outputs the probe pass records to check their lowering against: not a
// LayeredStage (an imported script records its layers instead, and checks its own lowering),
// nor a stage named like one of their layers.
std::vector<std::string> checkedStages(model::NetImpl &net)
{
    const auto children = net.named_children();
    std::vector<std::string> layered, checked;
    for (const auto &name : net.stageNames()) {
        if (auto stage = std::dynamic_pointer_cast<model::LayeredStage>(children[name])) {
            const auto layers = stage->layerNames();
            layered.insert(layered.end(), layers.begin(), layers.end());
            layered.push_back(name);
        }
    }
    for (const auto &name : net.stageNames()) {
        if (std::find(layered.begin(), layered.end(), name) == layered.end())
            checked.push_back(name);
    }
    return checked;
}

Result<StageGraph> lower(model::NetImpl &net, const std::vector<std::int64_t> &inputShape,
                         const std::string &format)
{
    const auto probe = probeInput(inputShape);
    model::Taps taps;
    taps.wanted = checkedStages(net);
    torch::Tensor expected;
    try {
        expected = net.forward(probe, &taps);
    } catch (const std::exception &e) {
        return fail(ErrorCode::InvalidArgument,
                    "input shape " + shapeText(inputShape)
                        + " does not fit the net: " + util::describe(e));
    }
    StageGraph graph;
    graph.inputShape = inputShape;
    GraphBuilder builder(graph, probe, probeInput(inputShape, kWideBatch));
    Lowerer lowerer(builder, format);
    std::vector<Lowerer::Item> stages;
    const auto children = net.named_children();
    for (const auto &name : net.stageNames())
        stages.emplace_back(name, children[name]);
    auto done = [&](const std::string &stage, const std::string &value) -> Result<void> {
        const auto found = taps.outputs.find(stage);
        if (found == taps.outputs.end())
            return {};
        return checkStage(stage, builder.probe(value), found->second);
    };
    auto output = lowerer.sequence("", stages, graph.input, done);
    if (!output)
        return std::unexpected(output.error());
    if (!stages.empty()) {
        if (auto checked = checkStage(stages.back().first, builder.probe(*output), expected);
            !checked)
            return std::unexpected(checked.error());
    }
    graph.output = *output;
    const auto sizes = builder.probe(*output).sizes();
    graph.outputShape.assign(sizes.begin() + 1, sizes.end());
    return graph;
}

} // namespace

Result<StageGraph> lowerNet(model::NetImpl &net, const std::vector<std::int64_t> &inputShape,
                            const std::string &format)
{
    if (inputShape.empty()
        || std::any_of(inputShape.begin(), inputShape.end(), [](auto d) { return d <= 0; }))
        return fail(ErrorCode::InvalidArgument,
                    "input shape " + shapeText(inputShape) + " must be non-empty and positive");
    for (const auto &tensor : net.parameters()) {
        if (!tensor.device().is_cpu() || tensor.scalar_type() != torch::kFloat32)
            return fail(ErrorCode::InvalidArgument,
                        "export reads float32 CPU nets: move the net with "
                        "net->to(torch::kCPU, torch::kFloat32) first");
    }
    const bool wasTraining = net.is_training();
    net.eval();
    torch::NoGradGuard noGrad;
    Result<StageGraph> graph;
    try {
        graph = lower(net, inputShape, format);
    } catch (const std::exception &e) {
        graph = fail(ErrorCode::Internal, "lowering the net failed: " + util::describe(e));
    }
    net.train(wasTraining);
    return graph;
}

Error inFile(Error error, const std::filesystem::path &file)
{
    if (error.context.empty())
        error.context = file.string();
    return error;
}

} // namespace lathe::formats
