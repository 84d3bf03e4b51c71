#include "core/train/run_config.h"

#include "core/plugin/registry.h"
#include "core/train/config_validation.h"
#include "core/train/lr_schedule.h"
#include "core/train/optimizer_factory.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>
#include <variant>

namespace lathe::train {

namespace {

using nlohmann::json;
using namespace detail;

/// One key of a config section: its JSON name, the struct member it fills, and what it allows
/// (numbers: `rule`; strings: `choices`, empty for any non-empty string, or `liveChoices`
/// where plugins can add to them).
template<typename S>
struct Field
{
    std::string key;
    std::variant<double S::*, std::int64_t S::*, std::uint64_t S::*, bool S::*, std::string S::*,
                 std::vector<double> S::*, Options S::*, std::vector<ExtensionUse> S::*,
                 std::vector<std::string> S::*, std::vector<std::int64_t> S::*,
                 std::map<std::string, double> S::*>
        member;
    NumberRule rule = {};
    std::vector<std::string> choices = {};
    std::vector<std::string> (*liveChoices)() = nullptr;
    bool allowEmpty = false; ///< strings: "" is a valid value (meaning "none")
};

std::vector<std::string> datasetNames()
{
    return plugin::registry().names(plugin::Kind::Dataset);
}

std::vector<std::string> augmentationNames()
{
    return plugin::registry().names(plugin::Kind::Augmentation);
}

constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr NumberRule closedRange(double lo, double hi)
{
    return {lo, hi, false, false};
}
constexpr NumberRule openClosed(double lo, double hi)
{
    return {lo, hi, true, false};
}
constexpr NumberRule closedOpen(double lo, double hi)
{
    return {lo, hi, false, true};
}
constexpr NumberRule openRange(double lo, double hi)
{
    return {lo, hi, true, true};
}
constexpr NumberRule atLeast(double lo)
{
    return {lo, kInf, false, false};
}

const std::vector<Field<DataConfig>> &dataFields()
{
    static const std::vector<Field<DataConfig>> fields{
        {"dataset", &DataConfig::dataset, {}, {}, datasetNames},
        {"path", &DataConfig::path},
        {"options", &DataConfig::options},
        {"classes", &DataConfig::classes, closedRange(0, 100000)},
        {"train_limit", &DataConfig::trainLimit, atLeast(0)},
        {"val_fraction", &DataConfig::valFraction, closedRange(0, 0.5)},
        {"subset", &DataConfig::subset, atLeast(0)},
        {"normalize", &DataConfig::normalize},
    };
    return fields;
}

const std::vector<Field<OptimizerConfig>> &optimizerFields()
{
    using C = OptimizerConfig;
    static const std::vector<Field<C>> fields{
        {"name", &C::name, {}, optimizerNames()},
        {"lr", &C::lr, openClosed(0, 10)},
        {"weight_decay", &C::weightDecay, closedRange(0, 1)},
        {"momentum", &C::momentum, closedOpen(0, 1)},
        {"nesterov", &C::nesterov},
        {"beta1", &C::beta1, closedOpen(0, 1)},
        {"beta2", &C::beta2, closedOpen(0, 1)},
        {"eps", &C::eps, openClosed(0, 1)},
        {"alpha", &C::alpha, openRange(0, 1)},
    };
    return fields;
}

const std::vector<Field<ScheduleConfig>> &scheduleFields()
{
    using C = ScheduleConfig;
    static const std::vector<Field<C>> fields{
        {"type", &C::type, {}, {}, scheduleTypeNames},
        {"step_epochs", &C::stepEpochs, openClosed(0, 10000)},
        {"milestones", &C::milestones, openClosed(0, 10000)},
        {"gamma", &C::gamma, openClosed(0, 1)},
        {"warmup_epochs", &C::warmupEpochs, closedRange(0, 10000)},
        {"min_lr", &C::minLr, closedRange(0, 10)},
        {"pct_start", &C::pctStart, openRange(0, 1)},
        {"div_factor", &C::divFactor, closedRange(1, 1e6)},
        {"final_div_factor", &C::finalDivFactor, closedRange(1, 1e9)},
        {"plateau_factor", &C::plateauFactor, openRange(0, 1)},
        {"plateau_patience", &C::plateauPatience, closedRange(0, 1000)},
        {"plateau_threshold", &C::plateauThreshold, closedOpen(0, 1)},
        {"plateau_cooldown", &C::plateauCooldown, closedRange(0, 1000)},
    };
    return fields;
}

const std::vector<Field<TrainingConfig>> &trainingFields()
{
    using C = TrainingConfig;
    static const std::vector<Field<C>> fields{
        {"epochs", &C::epochs, closedRange(1, 10000)},
        {"batch_size", &C::batchSize, closedRange(1, 65536)},
        {"label_smoothing", &C::labelSmoothing, closedOpen(0, 1)},
        {"grad_clip", &C::gradClip, closedRange(0, 1e6)},
        {"accumulate", &C::accumulate, closedRange(1, 1024)},
        {"mixed_precision", &C::mixedPrecision, {}, {"auto", "off", "bf16", "fp16"}},
        {"early_stopping_patience", &C::earlyStoppingPatience, closedRange(0, 1000)},
        {"seed", &C::seed},
        {"threads", &C::threads, closedRange(0, 1024)},
        {"device", &C::device, {}, {"cpu", "cuda"}},
        {"fused", &C::fused},
        {"keep_epoch_checkpoints", &C::keepEpochCheckpoints},
        {"sync_batch_norm", &C::syncBatchNorm},
    };
    return fields;
}

const std::vector<Field<DistConfig>> &distFields()
{
    using C = DistConfig;
    static const std::vector<Field<C>> fields{
        {"world_size", &C::worldSize, closedRange(1, 1 << 20)},
        {"nnodes", &C::nnodes, closedRange(0, 1 << 20)},
    };
    return fields;
}

const std::vector<Field<HistogramConfig>> &histogramFields()
{
    using C = HistogramConfig;
    static const std::vector<Field<C>> fields{
        {"every", &C::every, closedRange(0, 1e9)},
        {"bins", &C::bins, closedRange(2, 1024)},
    };
    return fields;
}

const std::vector<Field<data::AugmentConfig>> &augmentFields()
{
    using C = data::AugmentConfig;
    static const std::vector<Field<C>> fields{
        {"enabled", &C::enabled},
        {"crop_padding", &C::cropPadding, closedRange(0, 16)},
        {"hflip", &C::hflipProb, closedRange(0, 1)},
        {"rotate_deg", &C::rotateDeg, closedRange(0, 180)},
        {"translate", &C::translateFrac, closedRange(0, 0.5)},
        {"erase_prob", &C::eraseProb, closedRange(0, 1)},
        {"erase_max_area", &C::eraseMaxArea, closedRange(0.02, 1)},
        {"extra", &C::extra, {}, {}, augmentationNames},
    };
    return fields;
}

const std::vector<Field<FineTuneConfig>> &finetuneFields()
{
    using C = FineTuneConfig;
    static const std::vector<Field<C>> fields{
        {"run", &C::run, {}, {}, nullptr, true},
        {"checkpoint", &C::checkpoint, {}, {}, nullptr, true}, // "": best, else last
        {"torchscript", &C::torchscript, {}, {}, nullptr, true},
        {"safetensors", &C::safetensors, {}, {}, nullptr, true},
        {"new_head", &C::newHead},
        {"freeze", &C::freeze},
        {"unfreeze_after", &C::unfreezeAfter, closedRange(0, 10000)},
        {"lr_multipliers", &C::lrMultipliers, closedRange(0, 1000)},
        {"lora_rank", &C::loraRank, closedRange(0, 1024)},
        {"lora_alpha", &C::loraAlpha, openClosed(0, 1e6)},
        {"lora_dropout", &C::loraDropout, closedOpen(0, 1)},
        {"lora_targets", &C::loraTargets},
        {"distill_run", &C::distillRun, {}, {}, nullptr, true},
        {"distill_checkpoint", &C::distillCheckpoint, {}, {}, nullptr, true},
        {"distill_temperature", &C::distillTemperature, openClosed(0, 100)},
        {"distill_weight", &C::distillWeight, closedRange(0, 1)},
    };
    return fields;
}

const std::vector<Field<PrivacyConfig>> &privacyFields()
{
    using C = PrivacyConfig;
    static const std::vector<Field<C>> fields{
        {"enabled", &C::enabled},
        {"noise_multiplier", &C::noiseMultiplier, openClosed(0, 1000)},
        {"target_epsilon", &C::targetEpsilon, openClosed(0, 1000)},
        {"max_grad_norm", &C::maxGradNorm, openClosed(0, 1e6)},
        {"delta", &C::delta, openRange(0, 1)},
        {"physical_batch_size", &C::physicalBatchSize, closedRange(0, 65536)},
        {"orders", &C::orders, openClosed(1, 1e4)},
    };
    return fields;
}

const std::vector<Field<AdversarialConfig>> &adversarialFields()
{
    using C = AdversarialConfig;
    static const std::vector<Field<C>> fields{
        {"enabled", &C::enabled},
        {"attack", &C::attack, {}, {"fgsm", "pgd"}},
        {"epsilon", &C::epsilon, openClosed(0, 1)},
        {"steps", &C::steps, closedRange(1, 1000)},
        {"step_size", &C::stepSize, closedRange(0, 1)},
        {"random_start", &C::randomStart},
        {"mix_ratio", &C::mixRatio, closedRange(0, 1)},
        {"eval_samples", &C::evalSamples, closedRange(0, 1e7)},
        {"eval_steps", &C::evalSteps, closedRange(1, 1000)},
    };
    return fields;
}

const std::vector<std::string> &topLevelKeys()
{
    static const std::vector<std::string> keys{
        "name",       "data",    "model",    "optimizer", "schedule", "training", "augment",
        "histograms", "metrics", "finetune", "steering",  "dist",     "privacy",  "adversarial"};
    return keys;
}

template<typename S>
std::vector<std::string> keysOf(const std::vector<Field<S>> &fields)
{
    std::vector<std::string> keys;
    for (const auto &field : fields)
        keys.push_back(field.key);
    return keys;
}

template<typename T, typename S>
Result<T> readAs(const json &value, const std::string &where, const Field<S> &field)
{
    if constexpr (std::is_same_v<T, double>)
        return readNumber(value, where, field.rule);
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return readInteger(value, where, field.rule);
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return readUnsigned(value, where);
    else if constexpr (std::is_same_v<T, bool>)
        return readBool(value, where);
    else if constexpr (std::is_same_v<T, std::string>) {
        if (field.allowEmpty && value.is_string() && value.get_ref<const std::string &>().empty())
            return std::string();
        return readString(value, where, field.liveChoices ? field.liveChoices() : field.choices);
    } else if constexpr (std::is_same_v<T, Options>)
        return readOptions(value, where);
    else if constexpr (std::is_same_v<T, std::vector<ExtensionUse>>)
        return readExtensionUses(value, where, field.liveChoices());
    else if constexpr (std::is_same_v<T, std::vector<std::string>>)
        return readStringList(value, where);
    else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>)
        return readIntegerSet(value, where, field.rule);
    else if constexpr (std::is_same_v<T, std::map<std::string, double>>)
        return readNumberMap(value, where, field.rule);
    else
        return readAscending(value, where, field.rule);
}

/// Fills `out` (already holding the defaults) from the keys present in `object`.
template<typename S>
Result<void> readSection(const json &object, const std::string &section,
                         const std::vector<Field<S>> &fields, S &out)
{
    const auto keys = keysOf(fields);
    if (auto ok = checkObject(object, section, keys); !ok)
        return ok;
    for (const auto &[key, value] : object.items()) {
        const auto field = std::find_if(fields.begin(), fields.end(),
                                        [&](const auto &f) { return f.key == key; });
        if (field == fields.end())
            return std::unexpected(unknownKeyError(key, section, keys));
        const std::string where = section + "." + key;
        auto ok = std::visit(
            [&](auto member) -> Result<void> {
                using T = std::remove_cvref_t<decltype(out.*member)>;
                auto parsed = readAs<T>(value, where, *field);
                if (!parsed)
                    return std::unexpected(parsed.error());
                out.*member = std::move(*parsed);
                return {};
            },
            field->member);
        if (!ok)
            return ok;
    }
    return {};
}

template<typename S>
json writeSection(const S &in, const std::vector<Field<S>> &fields)
{
    json out = json::object();
    for (const auto &field : fields)
        std::visit([&](auto member) { out[field.key] = toJsonValue(in.*member); }, field.member);
    return out;
}

/// The privacy section as written: its unset choices (0: noise solved, no target, delta from N)
/// are left out, so that reading it back gives the same config.
json writePrivacy(const PrivacyConfig &privacy)
{
    json out = writeSection(privacy, privacyFields());
    for (const char *key : {"noise_multiplier", "target_epsilon", "delta"})
        if (out[key] == 0.0)
            out.erase(key);
    return out;
}

Result<void> readTopKey(const std::string &key, const json &value, RunConfig &config)
{
    if (key == "name") {
        auto name = readString(value, key, {});
        if (!name)
            return std::unexpected(name.error());
        config.name = *name;
        return {};
    }
    if (key == "model") {
        auto spec
            = model::ModelSpec::fromJson(value, plugin::registry().names(plugin::Kind::Model));
        if (!spec)
            return std::unexpected(spec.error());
        config.model = *spec;
        return {};
    }
    if (key == "data")
        return readSection(value, key, dataFields(), config.data);
    if (key == "optimizer")
        return readSection(value, key, optimizerFields(), config.optimizer);
    if (key == "schedule")
        return readSection(value, key, scheduleFields(), config.schedule);
    if (key == "training")
        return readSection(value, key, trainingFields(), config.training);
    if (key == "augment")
        return readSection(value, key, augmentFields(), config.augment);
    if (key == "histograms")
        return readSection(value, key, histogramFields(), config.histograms);
    if (key == "finetune")
        return readSection(value, key, finetuneFields(), config.finetune);
    if (key == "privacy")
        return readSection(value, key, privacyFields(), config.privacy);
    if (key == "adversarial")
        return readSection(value, key, adversarialFields(), config.adversarial);
    if (key == "dist")
        return readSection(value, key, distFields(), config.dist);
    if (key == "metrics") {
        auto uses = readExtensionUses(value, key, plugin::registry().names(plugin::Kind::Metric));
        if (!uses)
            return std::unexpected(uses.error());
        config.metrics = std::move(*uses);
        return {};
    }
    if (key == "steering") {
        auto points = steeringFromJson(value);
        if (!points)
            return std::unexpected(points.error());
        config.steering = std::move(*points);
        return {};
    }
    return std::unexpected(unknownKeyError(key, "", topLevelKeys()));
}

/// The privacy section's rules that involve more than one key.
Result<void> checkPrivacy(const RunConfig &config)
{
    const auto &p = config.privacy;
    if (p.noiseMultiplier > 0 && p.targetEpsilon > 0)
        return fail(ErrorCode::InvalidArgument,
                    "give noise_multiplier or target_epsilon, not both (with target_epsilon the "
                    "noise is solved for the run's length)",
                    "privacy.target_epsilon");
    if (!p.enabled)
        return {};
    if (p.noiseMultiplier == 0 && p.targetEpsilon == 0)
        return fail(ErrorCode::InvalidArgument,
                    "privacy is enabled without noise: give noise_multiplier (e.g. 1.0) or "
                    "target_epsilon (e.g. 3)",
                    "privacy");
    if (config.training.accumulate > 1)
        return fail(ErrorCode::InvalidArgument,
                    "DP-SGD samples each batch whole; use privacy.physical_batch_size to split it "
                    "into passes instead of training.accumulate",
                    "training.accumulate");
    if (config.training.gradClip > 0)
        return fail(ErrorCode::InvalidArgument,
                    "DP-SGD clips each example's gradient to privacy.max_grad_norm; a clip of the "
                    "noised batch gradient (training.grad_clip) is not allowed with it",
                    "training.grad_clip");
    return {};
}

/// The adversarial section's rules that involve more than one key.
Result<void> checkAdversarial(const RunConfig &config)
{
    const auto &a = config.adversarial;
    if (!a.enabled)
        return {};
    if (a.mixRatio == 0.0)
        return fail(ErrorCode::InvalidArgument,
                    "adversarial training is enabled with mix_ratio 0 (no adversarial sample in "
                    "any batch); give a share in (0, 1], or set enabled to false",
                    "adversarial.mix_ratio");
    if (config.privacy.enabled)
        return fail(ErrorCode::InvalidArgument,
                    "adversarial training and DP-SGD (privacy.enabled) cannot be combined yet; "
                    "enable one of them",
                    "adversarial.enabled");
    return {};
}

/// Rules that involve more than one key.
Result<void> checkCombinations(const RunConfig &config)
{
    if (auto ok = checkAdversarial(config); !ok)
        return ok;
    if (auto ok = checkPrivacy(config); !ok)
        return ok;
    const auto &training = config.training;
    const auto &schedule = config.schedule;
    const auto &optimizer = config.optimizer;
    if (training.mixedPrecision == "fp16" && training.device != "cuda")
        return fail(ErrorCode::InvalidArgument,
                    "fp16 autocast needs CUDA; use bf16 on CPU (training.device is \""
                        + training.device + "\")",
                    "training.mixed_precision");
    if (schedule.type == "multistep" && schedule.milestones.empty())
        return fail(ErrorCode::InvalidArgument,
                    "the multistep schedule needs milestones: the epochs at which lr is "
                    "multiplied by gamma, e.g. [5, 8]",
                    "schedule.milestones");
    const auto &f = config.finetune;
    // torchscript is a model as well as weights: a run's checkpoint may fill it (a fine-tune of
    // an imported model), a safetensors file may not.
    if (int(!f.run.empty()) + int(!f.safetensors.empty()) > 1
        || int(!f.torchscript.empty()) + int(!f.safetensors.empty()) > 1)
        return fail(ErrorCode::InvalidArgument,
                    "give one source of initial weights: run, torchscript or safetensors (run "
                    "and torchscript together: the run's weights in that model)",
                    "finetune");
    if (!f.loraTargets.empty() && f.loraRank == 0)
        return fail(ErrorCode::InvalidArgument,
                    "lora_targets needs lora_rank > 0 (LoRA is off at rank 0)",
                    "finetune.lora_targets");
    if (f.unfreezeAfter > 0 && f.freeze.empty() && f.loraRank == 0)
        return fail(ErrorCode::InvalidArgument,
                    "unfreeze_after needs something frozen first (finetune.freeze)",
                    "finetune.unfreeze_after");
    if (optimizer.name == "sgd" && optimizer.nesterov && optimizer.momentum == 0.0)
        return fail(ErrorCode::InvalidArgument,
                    "nesterov needs momentum > 0 (optimizer.momentum is 0)", "optimizer.nesterov");
    if ((schedule.type == "cosine" || schedule.type == "warmup-cosine")
        && schedule.minLr > optimizer.lr)
        return fail(ErrorCode::InvalidArgument,
                    "value " + showValue(schedule.minLr) + " is above optimizer.lr ("
                        + showValue(optimizer.lr) + "); expected min_lr <= lr",
                    "schedule.min_lr");
    return {};
}

Result<RunConfig> parseRunConfig(const json &object)
{
    if (auto ok = checkObject(object, "", topLevelKeys()); !ok)
        return std::unexpected(ok.error());
    RunConfig config;
    for (const auto &[key, value] : object.items()) {
        if (auto ok = readTopKey(key, value, config); !ok)
            return std::unexpected(ok.error());
    }
    if (auto ok = checkCombinations(config); !ok)
        return std::unexpected(ok.error());
    return config;
}

Result<std::string> readText(const std::string &path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::Io, "config file not found", path);
    if (std::filesystem::is_directory(path, ec))
        return fail(ErrorCode::Io, "expected a config file, found a directory", path);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(ErrorCode::Io, std::string("cannot open config file: ") + std::strerror(errno),
                    path);
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return fail(ErrorCode::Io, "cannot read config file", path);
    return text.str();
}

/// 1-based line and column of the character at 1-based `byte` (nlohmann's parse_error::byte).
std::string describePosition(const std::string &text, std::size_t byte)
{
    const std::size_t at = std::min(byte == 0 ? 0 : byte - 1, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + std::ptrdiff_t(at), '\n');
    const std::size_t lineStart = at == 0 ? 0 : text.rfind('\n', at - 1) + 1;
    return "line " + std::to_string(line) + ", column " + std::to_string(at - lineStart + 1);
}

Result<json> parseText(const std::string &text, const std::string &path)
{
    try {
        return json::parse(text);
    } catch (const json::parse_error &e) {
        // Keep nlohmann's description ("syntax error while parsing ...") but not its prefix.
        std::string what = e.what();
        if (const auto at = what.find(": ", what.find("parse error")); at != std::string::npos)
            what = what.substr(at + 2);
        return fail(ErrorCode::BadInput, "invalid JSON: " + what,
                    path + ": " + describePosition(text, e.byte));
    } catch (const json::out_of_range &e) {
        // A number beyond a double's range ("number overflow parsing '1e400'"): nlohmann names
        // the number but not its place, so the first occurrence of its text is given.
        std::string what = e.what();
        what = what.substr(what.find("] ") + 2);
        const auto quote = what.find('\'');
        const auto number = what.substr(quote + 1, what.rfind('\'') - quote - 1);
        const auto at = quote == std::string::npos ? std::string::npos : text.find(number);
        return fail(ErrorCode::BadInput,
                    "invalid JSON: " + what + ": expected a number within a double's range",
                    at == std::string::npos ? path : path + ": " + describePosition(text, at + 1));
    }
}

} // namespace

Result<RunConfig> RunConfig::fromJson(const nlohmann::json &object)
{
    try {
        return parseRunConfig(object);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal,
                    std::string("unexpected error while reading the config: ") + e.what());
    }
}

nlohmann::json RunConfig::toJson() const
{
    json out = {{"name", name},
                {"data", writeSection(data, dataFields())},
                {"model", model.toJson()},
                {"optimizer", writeSection(optimizer, optimizerFields())},
                {"schedule", writeSection(schedule, scheduleFields())},
                {"training", writeSection(training, trainingFields())},
                {"augment", writeSection(augment, augmentFields())},
                {"histograms", writeSection(histograms, histogramFields())}};
    if (!metrics.empty())
        out["metrics"] = toJsonValue(metrics);
    if (finetune.enabled())
        out["finetune"] = writeSection(finetune, finetuneFields());
    if (!steering.empty())
        out["steering"] = steeringToJson(steering);
    if (privacy.enabled)
        out["privacy"] = writePrivacy(privacy);
    if (adversarial.enabled)
        out["adversarial"] = writeSection(adversarial, adversarialFields());
    if (dist.worldSize > 1)
        out["dist"] = writeSection(dist, distFields());
    return out;
}

Result<nlohmann::json> readConfigJson(const std::string &path)
{
    auto text = readText(path);
    if (!text)
        return std::unexpected(text.error());
    return parseText(*text, path);
}

Result<RunConfig> loadRunConfig(const std::string &path)
{
    auto object = readConfigJson(path);
    if (!object)
        return std::unexpected(object.error());
    auto config = RunConfig::fromJson(*object);
    if (!config) {
        Error error = config.error();
        error.context = error.context.empty() ? path : path + ": " + error.context;
        return std::unexpected(error);
    }
    return config;
}

Result<void> applyOverride(nlohmann::json &config, const std::string &assignment)
{
    const auto equals = assignment.find('=');
    if (equals == std::string::npos)
        return fail(ErrorCode::InvalidArgument, "expected key=value, e.g. optimizer.lr=0.01",
                    assignment);
    std::vector<std::string> path;
    std::istringstream keys(assignment.substr(0, equals));
    for (std::string segment; std::getline(keys, segment, '.');)
        path.push_back(segment);
    if (path.empty() || assignment[equals - 1] == '.'
        || std::ranges::any_of(path, [](const auto &s) { return s.empty(); }))
        return fail(ErrorCode::InvalidArgument,
                    "expected a dotted key before '=', e.g. optimizer.lr=0.01", assignment);
    if (!config.is_object() && !config.is_null())
        return fail(ErrorCode::InvalidArgument, "the config is not a JSON object", assignment);
    const std::string text = assignment.substr(equals + 1);
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded())
        value = text;
    // Only an existing non-object node can fail, and nothing is created before it.
    json *node = &config;
    std::string walked;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        walked += (walked.empty() ? "" : ".") + path[i];
        json &child = (*node)[path[i]];
        if (child.is_null())
            child = json::object();
        if (!child.is_object())
            return fail(ErrorCode::InvalidArgument,
                        walked + " is " + showValue(child) + ", not an object", assignment);
        node = &child;
    }
    (*node)[path.back()] = std::move(value);
    return {};
}

} // namespace lathe::train
