#include "core/formats/torchscript_import.h"

#include "core/formats/state_dict.h"
#include "core/formats/tapped_forward.h"
#include "core/formats/torchscript_export.h"
#include "core/util/join.h"
#include "core/util/sha256.h"
#include "core/util/torch_error.h"

#include <algorithm>
#include <cmath>

namespace lathe::formats {

namespace {

std::string localName(std::string name)
{
    std::replace(name.begin(), name.end(), '.', '_');
    return name;
}

bool covers(const std::string &layer, const std::string &name)
{
    return name == layer || model::NetImpl::covers(layer, name);
}

// The submodule at a dotted path ("layer3.1.conv2").
torch::jit::Module submodule(torch::jit::Module module, const std::string &path)
{
    std::size_t from = 0;
    while (from <= path.size()) {
        const auto dot = std::min(path.find('.', from), path.size());
        module = module.attr(path.substr(from, dot - from)).toModule();
        from = dot + 1;
    }
    return module;
}

// "Linear", "Conv2d", ... as PyTorch names the submodule's class (mangled namespaces dropped).
std::string typeName(const torch::jit::Module &module)
{
    const auto name = module.type()->name();
    return name ? name->name() : std::string();
}

// The weight of a Linear or Conv2d layer LoRA can adapt, or an undefined tensor.
torch::Tensor adaptableWeight(const torch::jit::Module &layer)
{
    const auto type = typeName(layer);
    if ((type != "Linear" && type != "Conv2d") || !layer.hasattr("weight"))
        return {};
    const auto weight = layer.attr("weight");
    return weight.isTensor() ? weight.toTensor() : torch::Tensor();
}

} // namespace

ScriptStageImpl::ScriptStageImpl(torch::jit::Module module)
    : m_module(std::move(module))
{
    for (const auto &p : m_module.named_parameters()) {
        register_parameter(localName(p.name), p.value, p.value.requires_grad());
        m_parameters.emplace_back(p.name, p.value);
    }
    for (const auto &b : m_module.named_buffers())
        register_buffer(localName(b.name), b.value);
    for (const auto &m : m_module.named_modules())
        if (!m.name.empty())
            m_layers.push_back(m.name);
}

ScriptStageImpl::~ScriptStageImpl() = default;

torch::Tensor ScriptStageImpl::forward(const torch::Tensor &x)
{
    applyAdapters();
    return m_module.forward({x}).toTensor();
}

void ScriptStageImpl::train(bool on)
{
    torch::nn::Module::train(on);
    m_module.train(on);
}

std::vector<std::string> ScriptStageImpl::layerNames() const
{
    return m_layers;
}

std::vector<std::pair<std::string, torch::Tensor>> ScriptStageImpl::layerParameters() const
{
    return m_parameters;
}

torch::Tensor ScriptStageImpl::forwardTapped(const torch::Tensor &x, model::Taps &taps)
{
    std::vector<std::string> wanted;
    for (const auto &layer : m_layers)
        if (taps.wants(layer))
            wanted.push_back(layer);
    auto &tapped = m_tapped[taps.all ? std::string("*") : util::join(wanted, ",")];
    if (!tapped) {
        auto made = TappedForward::create(m_module, wanted);
        if (!made)
            throw std::runtime_error(made.error().message);
        tapped = *made;
    }
    applyAdapters();
    const auto outputs = tapped->run(m_module, x);
    for (std::size_t i = 0; i < tapped->tapped().size(); ++i)
        taps.outputs[tapped->tapped()[i]]
            = taps.keepGraph ? outputs[i + 1] : outputs[i + 1].detach();
    return outputs.at(0);
}

Result<std::vector<std::string>>
ScriptStageImpl::addAdapters(std::int64_t rank, double alpha,
                             const std::vector<std::string> &targets)
{
    for (const auto &target : targets)
        if (std::find(m_layers.begin(), m_layers.end(), target) == m_layers.end())
            return fail(ErrorCode::InvalidArgument, "no layer \"" + target + "\" in this model",
                        "finetune.lora_targets");
    std::vector<std::string> adapted;
    for (const auto &layer : m_layers) {
        const bool wanted = targets.empty()
                            || std::any_of(targets.begin(), targets.end(),
                                           [&](const auto &t) { return covers(t, layer); });
        auto module = submodule(m_module, layer);
        const auto base = adaptableWeight(module);
        if (!wanted || !base.defined())
            continue;
        const auto fanIn = base[0].numel();
        const double bound = 1.0 / std::sqrt(double(fanIn));
        base.set_requires_grad(false);
        Adapter adapter{layer, module, base, {}, {}, alpha / double(rank)};
        adapter.a = register_parameter(localName(layer) + "_lora_a",
                                       torch::empty({rank, fanIn}).uniform_(-bound, bound));
        adapter.b
            = register_parameter(localName(layer) + "_lora_b", torch::zeros({base.size(0), rank}));
        m_parameters.emplace_back(layer + ".lora_a", adapter.a);
        m_parameters.emplace_back(layer + ".lora_b", adapter.b);
        m_adapters.push_back(std::move(adapter));
        adapted.push_back(layer);
    }
    if (adapted.empty())
        return fail(ErrorCode::InvalidArgument,
                    targets.empty() ? "the model has no Linear or Conv2d layer to adapt"
                                    : "no Linear or Conv2d layer under " + util::join(targets),
                    "finetune.lora_targets");
    return adapted;
}

void ScriptStageImpl::applyAdapters()
{
    for (auto &adapter : m_adapters)
        adapter.module.setattr("weight", adapter.weight());
}

torch::jit::Module ScriptStageImpl::exportModule() const
{
    torch::NoGradGuard noGrad;
    // Point the adapted layers at their merged weights for the copy, then back at W0 until the
    // next forward recomputes them.
    for (const auto &adapter : m_adapters) {
        auto layer = adapter.module;
        layer.setattr("weight", adapter.weight().detach().clone());
    }
    auto copy = m_module.deepcopy();
    for (const auto &adapter : m_adapters) {
        auto layer = adapter.module;
        layer.setattr("weight", adapter.base);
    }
    return copy;
}

std::int64_t ScriptStageImpl::mergeAdapters()
{
    torch::NoGradGuard noGrad;
    for (auto &adapter : m_adapters) {
        adapter.base.copy_(adapter.weight());
        adapter.module.setattr("weight", adapter.base);
    }
    const auto merged = std::int64_t(m_adapters.size());
    m_adapters.clear();
    std::erase_if(m_parameters,
                  [](const auto &p) { return p.first.find(".lora_") != std::string::npos; });
    return merged;
}

std::vector<std::pair<std::string, torch::Tensor>> ScriptStageImpl::stateDict() const
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto &m : m_module.named_modules()) {
        const std::string prefix = m.name.empty() ? "" : m.name + ".";
        for (const auto &p : m.value.named_parameters(false))
            out.emplace_back(prefix + p.name, p.value);
        for (const auto &b : m.value.named_buffers(false))
            out.emplace_back(prefix + b.name, b.value);
    }
    return out;
}

std::string ScriptStageImpl::className() const
{
    return typeName(m_module);
}

namespace {

// Checks forward takes one input besides self; BadInput otherwise.
Result<void> requireOneInput(const torch::jit::Module &module, const std::string &where)
{
    const auto &arguments = module.get_method("forward").function().getSchema().arguments();
    std::vector<std::string> required;
    for (std::size_t i = 1; i < arguments.size(); ++i)
        if (!arguments[i].default_value())
            required.push_back(arguments[i].name());
    if (required.size() == 1)
        return {};
    return fail(ErrorCode::BadInput,
                "its forward takes " + std::to_string(required.size()) + " inputs ("
                    + util::join(required) + "); Lathe passes it one batch of samples",
                where);
}

// Why a forward failed on the probe input, with the channels its first convolution wants.
std::string probeFailure(const torch::jit::Module &module, const std::vector<std::int64_t> &shape,
                         const std::exception &e)
{
    std::string message = "its forward fails on an input of shape " + shapeString(shape)
                          + " (one sample of this dataset)";
    for (const auto &p : module.named_parameters()) {
        if (p.value.dim() == 4 && p.value.size(1) != shape.at(1)) {
            message += ": its first convolution (" + p.name + ") takes "
                       + std::to_string(p.value.size(1)) + " channels, the data has "
                       + std::to_string(shape.at(1));
            return message;
        }
        if (p.value.dim() == 4)
            break;
    }
    const auto detail = util::describe(e);
    return message + ": " + detail.substr(0, detail.find('\n'));
}

// forward on zeros [1, inputShape...] in eval mode: the output tensor, or BadInput.
Result<torch::Tensor> probe(torch::jit::Module &module, const std::vector<std::int64_t> &inputShape,
                            const std::string &where)
{
    std::vector<std::int64_t> shape{1};
    shape.insert(shape.end(), inputShape.begin(), inputShape.end());
    torch::NoGradGuard noGrad;
    module.eval();
    c10::IValue out;
    try {
        out = module.forward({torch::zeros(shape)});
    } catch (const std::exception &e) {
        module.train();
        return fail(ErrorCode::BadInput, probeFailure(module, shape, e), where);
    }
    module.train();
    if (!out.isTensor())
        return fail(ErrorCode::BadInput,
                    "its forward returns a " + out.tagKind() + ", not one tensor [batch, classes]",
                    where);
    const auto tensor = out.toTensor();
    if (tensor.dim() < 2 || tensor.size(0) != 1)
        return fail(ErrorCode::BadInput,
                    "its forward returns a tensor of shape " + shapeString(tensor.sizes())
                        + " for a batch of one; Lathe needs [batch, classes]",
                    where);
    return tensor;
}

// Replaces the last Linear layer with `features` outputs by a new Linear to `classes`; returns
// its name, or an empty string when there is none.
std::string replaceHead(torch::jit::Module &module, std::int64_t features, std::int64_t classes)
{
    std::string head;
    for (const auto &m : module.named_modules()) {
        const auto weight = adaptableWeight(m.value);
        if (typeName(m.value) == "Linear" && weight.defined() && weight.size(0) == features)
            head = m.name;
    }
    if (head.empty())
        return head;
    auto layer = submodule(module, head);
    const auto in = layer.attr("weight").toTensor().size(1);
    const bool bias = layer.hasattr("bias") && layer.attr("bias").isTensor();
    torch::nn::Linear fresh(torch::nn::LinearOptions(in, classes).bias(bias));
    layer.setattr("weight", fresh->weight.detach().clone().requires_grad_(true));
    if (bias)
        layer.setattr("bias", fresh->bias.detach().clone().requires_grad_(true));
    // Scripted Linear layers hold out_features as a constant (informational only); traced
    // ones as an attribute.
    if (layer.hasattr("out_features") && !layer.type()->hasConstant("out_features"))
        layer.setattr("out_features", classes);
    return head;
}

} // namespace

Result<model::Net> netFromTorchScript(const std::filesystem::path &file,
                                      const std::vector<std::int64_t> &inputShape,
                                      std::int64_t numClasses, ImportedModel *info)
{
    const std::string where = file.string();
    auto loaded = loadTorchScript(file);
    if (!loaded)
        return std::unexpected(loaded.error());
    torch::jit::Module module = std::move(*loaded);
    if (auto one = requireOneInput(module, where); !one)
        return std::unexpected(one.error());
    auto out = probe(module, inputShape, where);
    if (!out)
        return std::unexpected(out.error());
    std::string head;
    if (out->dim() == 2 && out->size(1) != numClasses) {
        try {
            head = replaceHead(module, out->size(1), numClasses);
        } catch (const std::exception &e) {
            return fail(ErrorCode::BadInput,
                        "cannot give it a new head for " + std::to_string(numClasses)
                            + " classes: " + util::describe(e),
                        where);
        }
        if (!head.empty()) {
            out = probe(module, inputShape, where);
            if (!out)
                return std::unexpected(out.error());
        }
    }
    ScriptStage stage(module);
    model::Net net(stage->className()); // "ResNet": what messages and the Visualise panel name
    net->addStage("backbone", stage);
    if (out->dim() != 2 || out->size(1) != numClasses) {
        net->addStage("flatten", torch::nn::Flatten());
        net->addStage("head", torch::nn::Linear(out->numel(), numClasses));
        head = "head";
    }
    if (info) {
        auto digest = util::sha256File(file);
        if (!digest)
            return std::unexpected(digest.error());
        *info = {stage->className(),
                 where,
                 *digest,
                 net->parameterCount(),
                 std::int64_t(stage->layerNames().size()),
                 head};
    }
    return net;
}

} // namespace lathe::formats
