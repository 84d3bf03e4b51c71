#include "core/formats/onnx_export.h"

#include "core/formats/atomic_file.h"
#include "core/formats/stage_ops.h"
#include "core/model/net.h"
#include "core/util/build_info.h"
#include "core/util/torch_error.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <torch/torch.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace lathe::formats {

namespace {

using AttrList = std::vector<onnx::AttributeProto>;
constexpr std::int64_t kIrVersion = 8, kOpset = 13;

onnx::AttributeProto intAttr(const std::string &name, std::int64_t value)
{
    onnx::AttributeProto a;
    a.set_name(name);
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(value);
    return a;
}

onnx::AttributeProto intsAttr(const std::string &name, const std::vector<std::int64_t> &values)
{
    onnx::AttributeProto a;
    a.set_name(name);
    a.set_type(onnx::AttributeProto::INTS);
    for (const auto v : values)
        a.add_ints(v);
    return a;
}

// ONNX raw_data is little-endian whatever the host's byte order.
template<typename T>
std::string littleEndian(const T *values, std::size_t count)
{
    std::string raw(count * sizeof(T), '\0');
    std::memcpy(raw.data(), values, raw.size());
    if constexpr (std::endian::native == std::endian::big)
        for (std::size_t i = 0; i < count; ++i)
            std::reverse(raw.begin() + i * sizeof(T), raw.begin() + (i + 1) * sizeof(T));
    return raw;
}

void setTensor(onnx::TensorProto &t, const std::string &name, const torch::Tensor &tensor)
{
    for (const auto d : tensor.sizes())
        t.add_dims(d);
    const auto count = static_cast<std::size_t>(tensor.numel());
    if (tensor.scalar_type() == torch::kInt64) {
        t.set_data_type(onnx::TensorProto::INT64);
        t.set_raw_data(littleEndian(tensor.data_ptr<std::int64_t>(), count));
    } else {
        t.set_data_type(onnx::TensorProto::FLOAT);
        t.set_raw_data(littleEndian(tensor.data_ptr<float>(), count));
    }
    t.set_name(name);
}

// A float tensor value: [batch (symbolic), dims...].
void setValueInfo(onnx::ValueInfoProto &info, const std::string &name,
                  const std::vector<std::int64_t> &sampleShape)
{
    info.set_name(name);
    auto *tensorType = info.mutable_type()->mutable_tensor_type();
    tensorType->set_elem_type(onnx::TensorProto::FLOAT);
    auto *shape = tensorType->mutable_shape();
    shape->add_dim()->set_dim_param("batch");
    for (const auto dim : sampleShape)
        shape->add_dim()->set_dim_value(dim);
}

std::vector<std::int64_t> pads(const std::vector<std::int64_t> &v, std::size_t at)
{
    return {v[at], v[at + 1], v[at], v[at + 1]}; // ONNX: begins of each axis, then ends
}

// Writes a StageGraph's ops as ONNX nodes, the last node of each op producing the op's output.
class GraphEncoder
{
public:
    explicit GraphEncoder(const StageGraph &graph)
        : m_graph(graph)
    {
        for (const auto &constant : graph.constants)
            m_constants[constant.name] = constant.tensor;
    }

    void encode(onnx::GraphProto &proto)
    {
        m_proto = &proto;
        proto.set_name("LatheNet");
        for (const auto &op : m_graph.ops)
            encodeOp(op);
        if (m_graph.ops.empty()) { // every stage is an identity in eval mode
            auto *n = proto.add_node();
            n->add_input("input");
            n->add_output("logits");
            n->set_op_type("Identity");
        }
        for (const auto &constant : m_graph.constants) {
            if (m_used.count(constant.name))
                setTensor(*proto.add_initializer(), constant.name, constant.tensor);
        }
        setValueInfo(*proto.add_input(), "input", m_graph.inputShape);
        setValueInfo(*proto.add_output(), "logits", m_graph.outputShape);
    }

private:
    using Attrs = AttrList;

    std::string name(const std::string &value) const
    {
        if (value == m_graph.output)
            return "logits";
        return value == m_graph.input ? "input" : value;
    }

    void node(const std::string &type, const std::string &nodeName,
              const std::vector<std::string> &inputs, const std::string &output,
              const Attrs &attrs = {})
    {
        auto *n = m_proto->add_node();
        for (const auto &input : inputs) {
            if (m_constants.count(input))
                m_used.insert(input);
            n->add_input(name(input));
        }
        n->add_output(name(output));
        n->set_name(nodeName);
        n->set_op_type(type);
        for (const auto &attr : attrs)
            *n->add_attribute() = attr;
    }

    // Intermediate nodes of one op: "<op>/<step>" for the node and its output value.
    std::string step(const std::string &type, const Op &op, const std::string &stepName,
                     const std::vector<std::string> &inputs, const Attrs &attrs = {})
    {
        const auto value = op.output + "/" + stepName;
        node(type, value, inputs, value, attrs);
        return value;
    }

    void last(const std::string &type, const Op &op, const std::vector<std::string> &inputs,
              const Attrs &attrs = {})
    {
        node(type, op.name, inputs, op.output, attrs);
    }

    std::string constant(const std::string &constantName, torch::Tensor tensor)
    {
        setTensor(*m_proto->add_initializer(), constantName, tensor.contiguous());
        return constantName;
    }

    std::string scalar(const Op &op, const std::string &stepName, double value)
    {
        return constant(op.output + "/" + stepName, torch::tensor(static_cast<float>(value)));
    }

    std::string int64s(const Op &op, const std::string &stepName, std::vector<std::int64_t> v)
    {
        return constant(op.output + "/" + stepName, torch::tensor(v, torch::kInt64));
    }

    void encodeOp(const Op &op);
    void linear(const Op &op);
    void gelu(const Op &op);
    void layerNorm(const Op &op);
    void prependToken(const Op &op);
    void hardActivation(const Op &op);
    void expand(const Op &op);

    const StageGraph &m_graph;
    std::map<std::string, torch::Tensor> m_constants;
    std::set<std::string> m_used;
    onnx::GraphProto *m_proto = nullptr;
};

void GraphEncoder::encodeOp(const Op &op)
{
    const auto &v = op.ints;
    const auto &in = op.inputs;
    switch (op.kind) {
    case OpKind::Linear: return linear(op);
    case OpKind::Conv2d: {
        const auto kernel = m_constants.at(in.at(1)).sizes();
        return last("Conv", op, in,
                    {intsAttr("kernel_shape", {kernel[2], kernel[3]}),
                     intsAttr("strides", {v[0], v[1]}), intsAttr("pads", pads(v, 2)),
                     intsAttr("dilations", {v[4], v[5]}), intAttr("group", v[6])});
    }
    case OpKind::ChannelAffine:
        return last("Add", op, {step("Mul", op, "scale", {in[0], in[1]}), in[2]});
    case OpKind::Relu: return last("Relu", op, in);
    case OpKind::Gelu: return gelu(op);
    case OpKind::MaxPool2d:
        return last("MaxPool", op, in,
                    {intsAttr("kernel_shape", {v[0], v[1]}), intsAttr("strides", {v[2], v[3]}),
                     intsAttr("pads", pads(v, 4))});
    case OpKind::AvgPool2d:
        return last("AveragePool", op, in,
                    {intsAttr("kernel_shape", {v[0], v[1]}), intsAttr("strides", {v[2], v[3]}),
                     intsAttr("pads", pads(v, 4)), intAttr("count_include_pad", v[6])});
    case OpKind::GlobalAvgPool: return last("GlobalAveragePool", op, in);
    case OpKind::Flatten: return last("Flatten", op, in, {intAttr("axis", 1)});
    case OpKind::Reshape: return last("Reshape", op, {in[0], int64s(op, "shape", v)});
    case OpKind::Transpose: return last("Transpose", op, in, {intsAttr("perm", v)});
    case OpKind::Select:
        return last("Gather", op, {in[0], constant(op.output + "/index", torch::tensor(v[1]))},
                    {intAttr("axis", v[0])});
    case OpKind::MatMul: return last("MatMul", op, in);
    case OpKind::DivScalar: return last("Div", op, {in[0], scalar(op, "divisor", op.scalar)});
    case OpKind::Softmax: return last("Softmax", op, in, {intAttr("axis", v.at(0))});
    case OpKind::Add: return last("Add", op, in);
    case OpKind::LayerNorm: return layerNorm(op);
    case OpKind::PrependToken: return prependToken(op);
    case OpKind::Mul: return last("Mul", op, in);
    case OpKind::Sub: return last("Sub", op, in);
    case OpKind::Sigmoid: return last("Sigmoid", op, in);
    case OpKind::Hardsigmoid:
    case OpKind::Hardswish: return hardActivation(op);
    case OpKind::Concat: return last("Concat", op, in, {intAttr("axis", v.at(0))});
    case OpKind::Slice:
        return last("Slice", op,
                    {in[0], int64s(op, "starts", {v[1]}), int64s(op, "ends", {v[2]}),
                     int64s(op, "axes", {v[0]}), int64s(op, "steps", {v[3]})});
    case OpKind::Expand: return expand(op);
    }
    throw std::logic_error(std::string("no ONNX encoding for op ") + opKindName(op.kind));
}

void GraphEncoder::linear(const Op &op)
{
    const auto &in = op.inputs;
    if (op.inputRank == 2)
        return last("Gemm", op, in, {intAttr("transB", 1)});
    // Gemm takes matrices only: [B, T, in] x W^T as MatMul with a transposed initializer.
    const auto weightT = constant(in[1] + "/transposed", m_constants.at(in[1]).t());
    if (in.size() < 3)
        return last("MatMul", op, {in[0], weightT});
    last("Add", op, {step("MatMul", op, "matmul", {in[0], weightT}), in[2]});
}

void GraphEncoder::gelu(const Op &op)
{
    // Opset 13 has no Gelu: x * 0.5 * (1 + erf(x / sqrt 2)), as LibTorch computes it.
    const auto &x = op.inputs[0];
    auto y = step("Mul", op, "scaled", {x, scalar(op, "sqrt1_2", M_SQRT1_2)});
    y = step("Erf", op, "erf", {y});
    y = step("Add", op, "plus_one", {y, scalar(op, "one", 1.0)});
    y = step("Mul", op, "times_x", {x, y});
    last("Mul", op, {y, scalar(op, "half", 0.5)});
}

void GraphEncoder::layerNorm(const Op &op)
{
    // Opset 13 has no LayerNormalization: (x - mean) / sqrt(var + eps) * weight + bias over
    // the last dim, with the biased variance.
    const auto &in = op.inputs;
    const Attrs lastAxis{intsAttr("axes", {-1})};
    const auto mean = step("ReduceMean", op, "mean", {in[0]}, lastAxis);
    const auto centred = step("Sub", op, "centred", {in[0], mean});
    auto var = step("Mul", op, "squared", {centred, centred});
    var = step("ReduceMean", op, "variance", {var}, lastAxis);
    var = step("Add", op, "variance_eps", {var, scalar(op, "eps", op.scalar)});
    auto y = step("Div", op, "normalised", {centred, step("Sqrt", op, "std", {var})});
    y = step("Mul", op, "weighted", {y, in[1]});
    last("Add", op, {y, in[2]});
}

void GraphEncoder::prependToken(const Op &op)
{
    // cat(token expanded to [B, 1, D], x) with B read from x's shape at run time.
    const auto &in = op.inputs;
    auto batch = step("Shape", op, "shape", {in[0]});
    batch = step("Slice", op, "batch", {batch, int64s(op, "zero", {0}), int64s(op, "one", {1})});
    const auto target
        = step("Concat", op, "target", {batch, int64s(op, "ones", {1, 1})}, {intAttr("axis", 0)});
    const auto token = step("Expand", op, "token", {in[1], target});
    last("Concat", op, {token, in[0]}, {intAttr("axis", 1)});
}

void GraphEncoder::hardActivation(const Op &op)
{
    // Opset 13 has no HardSwish, and HardSigmoid computes alpha x + beta: LibTorch's own
    // arithmetic instead, min(max(x + 3, 0), 6) / 6, times x before dividing for hardswish.
    const auto &x = op.inputs[0];
    auto y = step("Add", op, "plus_three", {x, scalar(op, "three", 3.0)});
    y = step("Relu", op, "relu", {y});
    y = step("Min", op, "relu6", {y, scalar(op, "six", 6.0)});
    if (op.kind == OpKind::Hardswish)
        y = step("Mul", op, "times_x", {x, y});
    last("Div", op, {y, scalar(op, "sixth", 6.0)});
}

void GraphEncoder::expand(const Op &op)
{
    // ONNX Expand broadcasts: a 1 in the target keeps x's size, as -1 does in torch.expand.
    const auto &in = op.inputs;
    const bool fromRef = in.size() > 1;
    std::vector<std::int64_t> shape(op.ints.begin(), op.ints.end() - (fromRef ? 2 : 0));
    for (auto &d : shape)
        d = d < 0 ? 1 : d;
    if (!fromRef)
        return last("Expand", op, {in[0], int64s(op, "shape", shape)});
    const auto dim = op.ints[op.ints.size() - 2], refDim = op.ints.back();
    auto size = step("Shape", op, "ref_shape", {in[1]});
    size = step("Slice", op, "ref_size",
                {size, int64s(op, "ref_start", {refDim}), int64s(op, "ref_end", {refDim + 1})});
    std::vector<std::string> parts;
    if (dim > 0)
        parts.push_back(int64s(op, "before", {shape.begin(), shape.begin() + dim}));
    parts.push_back(size);
    if (dim + 1 < static_cast<std::int64_t>(shape.size()))
        parts.push_back(int64s(op, "after", {shape.begin() + dim + 1, shape.end()}));
    const auto target
        = parts.size() == 1 ? size : step("Concat", op, "target", parts, {intAttr("axis", 0)});
    last("Expand", op, {in[0], target});
}

// The checker, then shape inference in strict mode with type checks: a node whose inputs do
// not fit its schema, or an inferred shape that contradicts the declared output, throws.
Result<void> checkModel(onnx::ModelProto &model)
{
    try {
        onnx::checker::check_model(model);
        onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions(true, 1, true));
    } catch (const onnx::checker::ValidationError &e) {
        return fail(ErrorCode::Internal,
                    std::string("the ONNX checker refused the model: ") + e.what());
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal,
                    std::string("ONNX shape inference refused the model: ") + e.what());
    }
    return {};
}

} // namespace

Result<std::string> encodeOnnx(const StageGraph &graph)
{
    onnx::ModelProto model;
    try {
        model.set_ir_version(kIrVersion);
        model.set_producer_name("lathe");
        model.set_producer_version(util::latheVersion());
        auto *opset = model.add_opset_import();
        opset->set_domain("");
        opset->set_version(kOpset);
        GraphEncoder(graph).encode(*model.mutable_graph());
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, "encoding the ONNX model failed: " + util::describe(e));
    }
    if (auto ok = checkModel(model); !ok)
        return std::unexpected(ok.error());
    // Shape inference added the intermediate values' shapes (value_info): kept, they cost a few
    // hundred bytes and let viewers show every tensor's shape.
    std::string bytes;
    if (!model.SerializeToString(&bytes))
        return fail(ErrorCode::Internal, "the ONNX model could not be serialised (over 2 GiB?)");
    return bytes;
}

Result<void> writeOnnx(model::Net &net, const std::vector<std::int64_t> &inputShape,
                       const std::filesystem::path &file)
{
    auto graph = lowerNet(*net, inputShape, "ONNX");
    if (!graph)
        return std::unexpected(inFile(graph.error(), file));
    auto bytes = encodeOnnx(*graph);
    if (!bytes)
        return std::unexpected(inFile(bytes.error(), file));
    return writeFileAtomically(file, *bytes);
}

} // namespace lathe::formats
