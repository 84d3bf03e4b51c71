#include "core/train/finetune.h"

#include "core/model/lora.h"
#include "core/formats/safetensors.h"
#include "core/formats/torchscript_import.h"
#include "core/plugin/registry.h"
#include "core/train/weight_transfer.h"
#include "core/util/join.h"

#include <algorithm>
#include <set>

namespace lathe::train {

namespace {

bool hasLayer(const model::Net &net, const std::string &name)
{
    const auto names = net->layerNames();
    return std::find(names.begin(), names.end(), name) != names.end();
}

// The top-level layer a parameter belongs to ("layer1" for "layer1.0.conv1.weight").
std::string topLayerOf(const std::string &parameter)
{
    return parameter.substr(0, parameter.find('.'));
}

// A weight LoRA keeps frozen: a parameter beside which its layer has an adapter ("fc.base.weight"
// of a zoo stage, "fc.weight" of an imported layer, next to "fc.lora_a").
bool isLoraBase(const std::string &parameter, const std::set<std::string> &adapted)
{
    if (parameter.find(".lora_") != std::string::npos)
        return false;
    std::string owner = parameter.substr(0, parameter.rfind('.'));
    if (adapted.count(owner))
        return true;
    const auto dot = owner.rfind('.');
    return dot != std::string::npos && owner.substr(dot) == ".base"
           && adapted.count(owner.substr(0, dot));
}

std::set<std::string> adaptedLayers(const model::Net &net)
{
    std::set<std::string> out;
    for (const auto &[name, tensor] : net->layerParameters()) {
        const auto at = name.rfind(".lora_a");
        if (at != std::string::npos && at + 7 == name.size())
            out.insert(name.substr(0, at));
    }
    return out;
}

// `imported` receives what an imported TorchScript model is (its class, file, SHA-256, ...).
Result<model::Net> buildBase(const RunConfig &config, const std::vector<std::int64_t> &shape,
                             std::int64_t numClasses, nlohmann::json *imported)
{
    const auto &f = config.finetune;
    if (!f.torchscript.empty()) {
        formats::ImportedModel info;
        auto net = formats::netFromTorchScript(f.torchscript, shape, numClasses, &info);
        if (net && imported)
            *imported
                = {{"class", info.className},
                   {"file", info.file},
                   {"sha256", info.sha256},
                   {"parameters", info.parameters},
                   {"layers", info.layers},
                   {"head", info.head},
                   {"label", info.className + " ("
                                 + std::filesystem::path(info.file).filename().string() + ")"}};
        return net;
    }
    auto net = plugin::buildModel(config.model, shape, numClasses);
    if (!net || f.safetensors.empty())
        return net;
    if (auto ok = formats::loadSafetensorsInto(*net, f.safetensors); !ok)
        return std::unexpected(ok.error());
    if (f.newHead) {
        const auto children = (*net)->named_children();
        if (auto head = std::dynamic_pointer_cast<torch::nn::LinearImpl>(
                children[(*net)->stageNames().back()]))
            head->reset_parameters();
    }
    return net;
}

} // namespace

Result<PreparedModel> prepareModel(const RunConfig &config, const FineTuneSources &sources,
                                   const std::vector<std::int64_t> &inputShape,
                                   std::int64_t numClasses)
{
    const auto &f = config.finetune;
    nlohmann::json summary = nlohmann::json::object();
    nlohmann::json imported;
    auto net = buildBase(config, inputShape, numClasses, &imported);
    if (!net)
        return std::unexpected(net.error());
    PreparedModel out{*net, nullptr};
    if (!f.enabled())
        return out;
    if (!imported.is_null())
        summary["imported"] = std::move(imported);
    if (!sources.checkpoint.empty()) {
        // A new head is the last stage, unless that is an imported model (whose head was
        // replaced when the class count differs, and then starts fresh by its shape).
        const auto last = out.net->stageNames().back();
        const bool layered
            = std::dynamic_pointer_cast<model::LayeredStage>(out.net->named_children()[last])
              != nullptr;
        const std::vector<std::string> fresh
            = f.newHead && !layered ? std::vector<std::string>{last} : std::vector<std::string>{};
        auto report = transferFromCheckpoint(sources.checkpoint, out.net, fresh);
        if (!report)
            return std::unexpected(report.error());
        summary["from"] = sources.checkpoint.string();
        summary["copied"] = report->copied;
        summary["fresh"] = report->fresh;
    }
    if (f.loraRank > 0) {
        auto wrapped
            = model::applyLora(out.net, f.loraRank, f.loraAlpha, f.loraDropout, f.loraTargets);
        if (!wrapped)
            return std::unexpected(wrapped.error());
        summary["lora"] = *wrapped;
        // LoRA trains its adapters only, and what starts fresh (a new head).
        const auto fresh = summary.value("fresh", nlohmann::json::array());
        for (auto &p : out.net->named_parameters()) {
            const bool isFresh = std::find(fresh.begin(), fresh.end(), p.key()) != fresh.end();
            if (!isFresh)
                p.value().set_requires_grad(false);
        }
        for (auto &[name, tensor] : out.net->layerParameters())
            if (name.find(".lora_") != std::string::npos)
                tensor.set_requires_grad(true);
    }
    auto frozen = frozenStages(f, out.net);
    if (!frozen)
        return std::unexpected(frozen.error());
    setFrozen(out.net, *frozen, true);
    summary["frozen"] = *frozen;
    const auto total = out.net->parameterCount();
    const auto trainable = trainableParameterCount(out.net);
    if (trainable == 0)
        return fail(ErrorCode::InvalidArgument, "every parameter is frozen: nothing would train",
                    "finetune.freeze");
    summary["trainable_parameters"] = trainable;
    summary["parameters"] = total;
    out.summary = std::move(summary);
    return out;
}

Result<std::vector<std::string>> frozenStages(const FineTuneConfig &config, const model::Net &net)
{
    const auto layers = net->layerNames();
    std::vector<std::string> out;
    for (const auto &name : config.freeze) {
        if (name == "backbone") {
            // Every top-level layer but the one holding the last parameter (the head).
            const auto parameters = net->layerParameters();
            const auto head
                = parameters.empty() ? std::string() : topLayerOf(parameters.back().first);
            for (const auto &[parameter, tensor] : parameters)
                if (topLayerOf(parameter) != head)
                    out.push_back(topLayerOf(parameter));
            continue;
        }
        if (!hasLayer(net, name)) {
            return fail(ErrorCode::InvalidArgument,
                        "no layer \"" + name + "\"; this model's layers are: " + util::join(layers)
                            + " (or \"backbone\" for all but the head)",
                        "finetune.freeze");
        }
        out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void setFrozen(model::Net &net, const std::vector<std::string> &layers, bool frozen)
{
    const auto adapted = adaptedLayers(net);
    for (auto &[name, tensor] : net->layerParameters()) {
        if (std::none_of(layers.begin(), layers.end(), [&](const std::string &layer) {
                return model::NetImpl::covers(layer, name);
            }))
            continue;
        tensor.set_requires_grad(!frozen && !isLoraBase(name, adapted));
    }
}

std::int64_t trainableParameterCount(model::Net &net)
{
    std::int64_t n = 0;
    for (const auto &p : net->parameters())
        if (p.requires_grad())
            n += p.numel();
    return n;
}

Result<ParameterGroups> parameterGroups(model::Net &net,
                                        const std::map<std::string, double> &multipliers)
{
    for (const auto &[layer, scale] : multipliers)
        if (!hasLayer(net, layer))
            return fail(ErrorCode::InvalidArgument, "no layer \"" + layer + "\" in this model",
                        "finetune.lr_multipliers");
    ParameterGroups groups;
    for (const auto &[name, tensor] : net->layerParameters()) {
        // The most specific layer that names the parameter decides its multiplier.
        double scale = 1.0;
        std::size_t matched = 0;
        for (const auto &[layer, multiplier] : multipliers) {
            if (model::NetImpl::covers(layer, name) && layer.size() >= matched) {
                scale = multiplier;
                matched = layer.size();
            }
        }
        auto found = std::find(groups.scales.begin(), groups.scales.end(), scale);
        if (found == groups.scales.end()) {
            groups.scales.push_back(scale);
            groups.params.emplace_back();
            found = groups.scales.end() - 1;
        }
        groups.params[std::size_t(found - groups.scales.begin())].push_back(tensor);
    }
    return groups;
}

Distiller::Distiller(model::Net teacher, double temperature, double weight)
    : m_teacher(std::move(teacher))
    , m_temperature(temperature)
    , m_weight(weight)
{
}

Result<Distiller> Distiller::create(const model::ModelSpec &spec,
                                    const std::filesystem::path &checkpoint,
                                    const std::vector<std::int64_t> &inputShape,
                                    std::int64_t numClasses, double temperature, double weight)
{
    auto teacher = plugin::buildModel(spec, inputShape, numClasses);
    if (!teacher)
        return fail(ErrorCode::InvalidArgument,
                    "cannot build the teacher: " + teacher.error().toString(),
                    "finetune.distill_run");
    auto report = transferFromCheckpoint(checkpoint, *teacher, {});
    if (!report)
        return std::unexpected(report.error());
    if (!report->fresh.empty())
        return fail(ErrorCode::InvalidArgument,
                    "the teacher's checkpoint does not fit a model with "
                        + std::to_string(numClasses) + " classes (" + report->fresh.front()
                        + " differs)",
                    "finetune.distill_run");
    (*teacher)->eval();
    for (auto &p : (*teacher)->parameters())
        p.set_requires_grad(false);
    return Distiller(*teacher, temperature, weight);
}

torch::Tensor Distiller::loss(const torch::Tensor &x, const torch::Tensor &studentLogits,
                              const torch::Tensor &y, double labelSmoothing)
{
    namespace F = torch::nn::functional;
    torch::Tensor teacherLogits;
    {
        torch::NoGradGuard noGrad;
        teacherLogits = m_teacher->forward(x).to(torch::kFloat);
    }
    const torch::Tensor student = studentLogits.to(torch::kFloat);
    const torch::Tensor hard = F::cross_entropy(
        student, y, F::CrossEntropyFuncOptions().label_smoothing(labelSmoothing));
    const double t = m_temperature;
    const torch::Tensor soft
        = F::kl_div(torch::log_softmax(student / t, 1), torch::softmax(teacherLogits / t, 1),
                    F::KLDivFuncOptions().reduction(torch::kBatchMean))
          * (t * t);
    return hard * (1.0 - m_weight) + soft * m_weight;
}

} // namespace lathe::train
