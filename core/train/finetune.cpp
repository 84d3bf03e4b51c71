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

bool hasStage(const model::Net &net, const std::string &name)
{
    const auto names = net->stageNames();
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string stageOf(const std::string &parameter)
{
    return parameter.substr(0, parameter.find('.'));
}

Result<model::Net> buildBase(const RunConfig &config, const std::vector<std::int64_t> &shape,
                             std::int64_t numClasses)
{
    const auto &f = config.finetune;
    if (!f.torchscript.empty())
        return formats::netFromTorchScript(f.torchscript, shape, numClasses);
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
    auto net = buildBase(config, inputShape, numClasses);
    if (!net)
        return std::unexpected(net.error());
    PreparedModel out{*net, nullptr};
    if (!f.enabled())
        return out;
    nlohmann::json summary = nlohmann::json::object();
    if (!sources.checkpoint.empty()) {
        const auto stages = out.net->stageNames();
        const std::vector<std::string> fresh
            = f.newHead ? std::vector<std::string>{stages.back()} : std::vector<std::string>{};
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
            const bool adapter = p.key().find(".lora_") != std::string::npos;
            const bool isFresh = std::find(fresh.begin(), fresh.end(), p.key()) != fresh.end();
            if (!adapter && !isFresh)
                p.value().set_requires_grad(false);
        }
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
    const auto stages = net->stageNames();
    std::vector<std::string> out;
    for (const auto &name : config.freeze) {
        if (name == "backbone") {
            out.insert(out.end(), stages.begin(), stages.end() - 1);
            continue;
        }
        if (!hasStage(net, name)) {
            return fail(ErrorCode::InvalidArgument,
                        "no stage \"" + name + "\"; this model's stages are: " + util::join(stages)
                            + " (or \"backbone\" for all but the last)",
                        "finetune.freeze");
        }
        out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void setFrozen(model::Net &net, const std::vector<std::string> &stages, bool frozen)
{
    const auto children = net->named_children();
    for (const auto &name : stages) {
        if (!children.contains(name))
            continue;
        for (auto &p : children[name]->named_parameters()) {
            // A LoRA adapter's base stays frozen when its stage is unfrozen.
            const bool loraBase = p.key().rfind("base.", 0) == 0
                                  && children[name]->named_parameters().contains("lora_a");
            p.value().set_requires_grad(!frozen && !loraBase);
        }
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
    for (const auto &[stage, scale] : multipliers)
        if (!hasStage(net, stage))
            return fail(ErrorCode::InvalidArgument, "no stage \"" + stage + "\" in this model",
                        "finetune.lr_multipliers");
    ParameterGroups groups;
    for (const auto &p : net->named_parameters()) {
        const auto it = multipliers.find(stageOf(p.key()));
        const double scale = it == multipliers.end() ? 1.0 : it->second;
        auto found = std::find(groups.scales.begin(), groups.scales.end(), scale);
        if (found == groups.scales.end()) {
            groups.scales.push_back(scale);
            groups.params.emplace_back();
            found = groups.scales.end() - 1;
        }
        groups.params[std::size_t(found - groups.scales.begin())].push_back(p.value());
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
