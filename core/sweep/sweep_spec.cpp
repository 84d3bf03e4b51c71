#include "core/sweep/sweep_spec.h"

#include "core/sweep/json_text.h"
#include "core/util/join.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <vector>

namespace lathe::sweep {

namespace {

using detail::showValue;
using nlohmann::json;

Error invalid(const std::string &where, std::string message)
{
    return Error{ErrorCode::InvalidArgument, std::move(message), where};
}

/// Fails unless `value` is an object whose keys are all in `keys`.
Result<void> checkObject(const json &value, const std::string &where,
                         const std::vector<std::string> &keys, const std::string &what = {})
{
    if (!value.is_object())
        return std::unexpected(invalid(where, "expected an object, got " + showValue(value)));
    for (const auto &[key, child] : value.items())
        if (std::ranges::find(keys, key) == keys.end()) {
            std::string message = "unknown field \"" + key + "\"" + what + "; "
                                  + (where.empty() ? "" : where + " ") + "has: " + util::join(keys);
            if (const auto guess = detail::closestName(key, keys); !guess.empty())
                message += "; did you mean \"" + guess + "\"?";
            return std::unexpected(invalid(where.empty() ? key : where + "." + key, message));
        }
    return {};
}

/// The string at `where`, which must be one of `names`; its index.
Result<std::size_t> readName(const json &value, const std::string &where,
                             const std::vector<std::string> &names)
{
    for (std::size_t i = 0; i < names.size(); ++i)
        if (value.is_string() && value.get_ref<const std::string &>() == names[i])
            return i;
    return std::unexpected(
        invalid(where, "value " + showValue(value) + " is not one of: " + util::join(names)));
}

/// An integer in [lo, hi] at `where`.
Result<std::int64_t> readInteger(const json &value, const std::string &where, std::int64_t lo,
                                 std::int64_t hi)
{
    // JSON integers >= 0 are unsigned in nlohmann::json; compare them as such (no wrap-around).
    const bool integer
        = value.is_number_integer()
          && (value.is_number_unsigned()
                  ? value.get<std::uint64_t>() <= std::uint64_t(hi)
                        && (lo <= 0 || value.get<std::uint64_t>() >= std::uint64_t(lo))
                  : value.get<std::int64_t>() >= lo && value.get<std::int64_t>() <= hi);
    if (integer)
        return value.get<std::int64_t>();
    const std::string range = hi == std::numeric_limits<std::int64_t>::max()
                                  ? ">= " + std::to_string(lo)
                                  : "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return std::unexpected(
        invalid(where, "value " + showValue(value) + " is not an integer " + range));
}

Result<Objective> parseObjective(const json &value)
{
    if (auto ok = checkObject(value, "objective", {"metric", "direction", "use"}); !ok)
        return std::unexpected(ok.error());
    Objective objective;
    if (!value.contains("metric") || !value["metric"].is_string()
        || value["metric"].get_ref<const std::string &>().empty())
        return std::unexpected(invalid("objective.metric",
                                       "expected the name of a metric the runs record, such as "
                                       "\"val/accuracy\" or \"val/loss\""));
    objective.metric = value["metric"].get<std::string>();
    if (!value.contains("direction"))
        return std::unexpected(
            invalid("objective.direction", "missing; expected \"maximize\" or \"minimize\""));
    auto direction = readName(value["direction"], "objective.direction", {"minimize", "maximize"});
    if (!direction)
        return std::unexpected(direction.error());
    objective.direction = Direction(*direction);
    if (value.contains("use")) {
        auto use = readName(value["use"], "objective.use", {"best", "last"});
        if (!use)
            return std::unexpected(use.error());
        objective.use = Objective::Use(*use);
    }
    return objective;
}

Result<SamplerSpec> parseSampler(const json &value)
{
    SamplerSpec sampler;
    if (!value.is_object())
        return std::unexpected(invalid("sampler", "expected an object such as {\"name\": "
                                                  "\"tpe\", \"seed\": 0}, got "
                                                      + showValue(value)));
    if (value.contains("name")) {
        auto name = readName(value["name"], "sampler.name", {"random", "grid", "tpe"});
        if (!name)
            return std::unexpected(name.error());
        sampler.name = SamplerSpec::Name(*name);
    }
    const bool tpe = sampler.name == SamplerSpec::Name::Tpe;
    const std::vector<std::string> fields
        = tpe ? std::vector<std::string>{"name", "seed", "startup_trials", "candidates"}
              : std::vector<std::string>{"name", "seed"};
    const std::string what = std::string(" for the ")
                             + (tpe                                       ? "tpe"
                                : sampler.name == SamplerSpec::Name::Grid ? "grid"
                                                                          : "random")
                             + " sampler";
    if (auto ok = checkObject(value, "sampler", fields, what); !ok)
        return std::unexpected(ok.error());
    if (value.contains("seed")) {
        const json &seed = value["seed"];
        if (!seed.is_number_integer()
            || (!seed.is_number_unsigned() && seed.get<std::int64_t>() < 0))
            return std::unexpected(
                invalid("sampler.seed", "value " + showValue(seed) + " is not an integer >= 0"));
        sampler.seed = seed.get<std::uint64_t>();
    }
    if (value.contains("startup_trials")) {
        auto n = readInteger(value["startup_trials"], "sampler.startup_trials", 0, 100000);
        if (!n)
            return std::unexpected(n.error());
        sampler.startupTrials = int(*n);
    }
    if (value.contains("candidates")) {
        auto n = readInteger(value["candidates"], "sampler.candidates", 1, 10000);
        if (!n)
            return std::unexpected(n.error());
        sampler.candidates = int(*n);
    }
    return sampler;
}

Result<PrunerSpec> parsePruner(const json &value)
{
    PrunerSpec pruner;
    if (!value.is_object())
        return std::unexpected(invalid("pruner", "expected an object such as {\"name\": "
                                                 "\"median\"}, got "
                                                     + showValue(value)));
    if (!value.contains("name"))
        return std::unexpected(
            invalid("pruner.name", "missing; expected one of: none, median, asha"));
    auto name = readName(value["name"], "pruner.name", {"none", "median", "asha"});
    if (!name)
        return std::unexpected(name.error());
    pruner.name = PrunerSpec::Name(*name);
    std::vector<std::string> fields{"name"};
    std::string what = " for no pruner";
    if (pruner.name == PrunerSpec::Name::Median) {
        fields = {"name", "startup_trials", "warmup_steps", "resource"};
        what = " for the median pruner";
    } else if (pruner.name == PrunerSpec::Name::Asha) {
        fields = {"name", "min_resource", "reduction_factor", "resource"};
        what = " for the asha pruner";
    }
    if (auto ok = checkObject(value, "pruner", fields, what); !ok)
        return std::unexpected(ok.error());
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    if (value.contains("resource")) {
        auto resource = readName(value["resource"], "pruner.resource", {"epochs", "steps"});
        if (!resource)
            return std::unexpected(resource.error());
        pruner.resource = PrunerSpec::Resource(*resource);
    }
    if (value.contains("startup_trials")) {
        auto n = readInteger(value["startup_trials"], "pruner.startup_trials", 0, 100000);
        if (!n)
            return std::unexpected(n.error());
        pruner.startupTrials = int(*n);
    }
    if (value.contains("warmup_steps")) {
        auto n = readInteger(value["warmup_steps"], "pruner.warmup_steps", 0, kMax);
        if (!n)
            return std::unexpected(n.error());
        pruner.warmupSteps = *n;
    }
    if (value.contains("min_resource")) {
        auto n = readInteger(value["min_resource"], "pruner.min_resource", 1, kMax);
        if (!n)
            return std::unexpected(n.error());
        pruner.minResource = *n;
    }
    if (value.contains("reduction_factor")) {
        auto n = readInteger(value["reduction_factor"], "pruner.reduction_factor", 2, 1000);
        if (!n)
            return std::unexpected(n.error());
        pruner.reductionFactor = int(*n);
    }
    return pruner;
}

/// "line 3, column 14" for a byte offset (1-based, as nlohmann counts) into `text`.
std::string describePosition(const std::string &text, std::size_t byte)
{
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

/// A dotted path's segment as a message writes it: quoted when it holds a dot.
std::string segment(const std::string &key)
{
    return key.find('.') == std::string::npos ? key : "\"" + key + "\"";
}

/// Parses JSON text, refusing a key given twice in one object. `what` names the text in errors
/// ("the spec", "the base config").
Result<json> parseStrict(const std::string &text, const std::string &what)
{
    struct Frame
    {
        bool object = false;
        std::set<std::string> keys;
        std::string key;
    };
    std::vector<Frame> stack;
    std::string duplicate;
    const json::parser_callback_t callback = [&](int, json::parse_event_t event, json &parsed) {
        switch (event) {
        case json::parse_event_t::object_start: stack.push_back({true, {}, {}}); break;
        case json::parse_event_t::array_start: stack.push_back({false, {}, {}}); break;
        case json::parse_event_t::object_end:
        case json::parse_event_t::array_end:
            if (!stack.empty())
                stack.pop_back();
            break;
        case json::parse_event_t::key: {
            auto &top = stack.back();
            top.key = parsed.get<std::string>();
            if (!top.keys.insert(top.key).second && duplicate.empty())
                for (const auto &frame : stack)
                    if (frame.object)
                        duplicate += (duplicate.empty() ? "" : ".") + segment(frame.key);
            break;
        }
        case json::parse_event_t::value: break;
        }
        return true;
    };
    try {
        json value = json::parse(text, callback);
        if (!duplicate.empty())
            return fail(ErrorCode::InvalidArgument, "given twice", duplicate);
        return value;
    } catch (const json::parse_error &e) {
        std::string message = e.what();
        if (const auto at = message.find(": ", message.find("parse error"));
            at != std::string::npos)
            message = message.substr(at + 2);
        return fail(ErrorCode::BadInput, what + " is not valid JSON: " + message,
                    describePosition(text, e.byte));
    } catch (const json::exception &e) {
        std::string message = e.what();
        message = message.substr(message.find("] ") + 2);
        return fail(ErrorCode::BadInput, what + " is not valid JSON: " + message);
    }
}

Result<std::string> readText(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return fail(ErrorCode::Io, "cannot open the file", file.string());
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        return fail(ErrorCode::Io, "cannot read the file", file.string());
    return buffer.str();
}

Result<json> readBase(const json &value, const std::filesystem::path &specDir,
                      std::filesystem::path &basePath)
{
    if (value.is_object())
        return value;
    if (!value.is_string() || value.get_ref<const std::string &>().empty())
        return std::unexpected(invalid("base", "expected the path of a run config (from the "
                                               "spec's folder) or a config object, got "
                                                   + showValue(value)));
    basePath = value.get<std::string>();
    if (basePath.is_relative())
        basePath = (specDir / basePath).lexically_normal();
    auto text = readText(basePath);
    if (!text) {
        Error error = text.error();
        error.message = "the base config: " + error.message;
        error.context = "base: " + error.context;
        return std::unexpected(error);
    }
    auto object = parseStrict(*text, "the base config");
    if (!object) {
        Error error = object.error();
        error.context
            = "base: " + basePath.string() + (error.context.empty() ? "" : ": " + error.context);
        return std::unexpected(error);
    }
    if (!object->is_object())
        return std::unexpected(
            invalid("base: " + basePath.string(), "the base config is not a JSON object"));
    return object;
}

/// Each dimension's extremes applied to the base, through the caller's config check.
Result<void> checkExtremes(const SweepSpec &spec, const SpecOptions &options)
{
    for (const auto &dim : spec.space.dimensions) {
        std::vector<json> values;
        if (dim.kind == Kind::Choice)
            values = dim.values;
        else
            values = {dim.gridValue(0),
                      dim.kind == Kind::Int ? json(std::int64_t(dim.high)) : json(dim.high)};
        for (const auto &value : values) {
            auto config = applyParams(spec.base, {{dim.key, value}});
            if (!config)
                return std::unexpected(config.error());
            if (auto ok = options.checkConfig(*config); !ok)
                return std::unexpected(
                    invalid("space.\"" + dim.key + "\"",
                            "value " + showValue(value)
                                + " makes the config invalid: " + ok.error().toString()));
        }
    }
    return {};
}

Result<SweepSpec> parseSpec(const json &value, const std::filesystem::path &specDir,
                            const SpecOptions &options, const std::string &defaultName)
{
    if (auto ok = checkObject(
            value, {},
            {"name", "base", "space", "objective", "sampler", "pruner", "trials", "workers"});
        !ok)
        return std::unexpected(ok.error());
    SweepSpec spec;
    spec.name = defaultName;
    if (value.contains("name")) {
        if (!value["name"].is_string() || value["name"].get_ref<const std::string &>().empty())
            return std::unexpected(
                invalid("name", "expected a non-empty string, got " + showValue(value["name"])));
        spec.name = value["name"].get<std::string>();
    }
    for (const char *required : {"base", "space", "objective", "trials"})
        if (!value.contains(required))
            return std::unexpected(invalid(required, "missing; a spec needs base, space, "
                                                     "objective and trials"));
    auto base = readBase(value["base"], specDir, spec.basePath);
    if (!base)
        return std::unexpected(base.error());
    if (options.prepareBase) {
        auto prepared = options.prepareBase(std::move(*base));
        if (!prepared) {
            Error error = prepared.error();
            const std::string from
                = spec.basePath.empty() ? "base" : "base: " + spec.basePath.string();
            error.context = error.context.empty() ? from : from + ": " + error.context;
            return std::unexpected(error);
        }
        base = std::move(prepared);
    }
    spec.base = std::move(*base);
    auto space = parseSearchSpace(value["space"], spec.base);
    if (!space)
        return std::unexpected(space.error());
    spec.space = std::move(*space);
    auto objective = parseObjective(value["objective"]);
    if (!objective)
        return std::unexpected(objective.error());
    spec.objective = std::move(*objective);
    if (value.contains("sampler")) {
        auto sampler = parseSampler(value["sampler"]);
        if (!sampler)
            return std::unexpected(sampler.error());
        spec.sampler = *sampler;
    }
    if (value.contains("pruner")) {
        auto pruner = parsePruner(value["pruner"]);
        if (!pruner)
            return std::unexpected(pruner.error());
        spec.pruner = *pruner;
    }
    auto trials = readInteger(value["trials"], "trials", 1, 1000000);
    if (!trials)
        return std::unexpected(trials.error());
    spec.trials = int(*trials);
    if (value.contains("workers")) {
        auto workers = readInteger(value["workers"], "workers", 0, 1024);
        if (!workers)
            return std::unexpected(workers.error());
        spec.workers = int(*workers);
    }
    if (spec.sampler.name == SamplerSpec::Name::Grid)
        if (auto grid = gridPoints(spec.space); !grid)
            return std::unexpected(grid.error());
    if (options.checkConfig)
        if (auto ok = checkExtremes(spec, options); !ok)
            return std::unexpected(ok.error());
    return spec;
}

Result<SweepSpec> guarded(const std::function<Result<SweepSpec>()> &parse)
{
    try {
        return parse();
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal,
                    std::string("unexpected error while reading the sweep spec: ") + e.what());
    }
}

} // namespace

bool better(Direction direction, double a, double b)
{
    return direction == Direction::Maximize ? a > b : a < b;
}

std::optional<double> objectiveValue(const Objective &objective,
                                     const std::map<std::int64_t, double> &series)
{
    std::optional<double> out;
    for (const auto &[step, value] : series) {
        if (!std::isfinite(value))
            continue;
        if (objective.use == Objective::Use::Last || !out
            || better(objective.direction, value, *out))
            out = value;
    }
    return out;
}

Result<SweepSpec> parseSweepSpec(const nlohmann::json &spec, const std::filesystem::path &specDir,
                                 const SpecOptions &options)
{
    return guarded([&] { return parseSpec(spec, specDir, options, "sweep"); });
}

Result<SweepSpec> parseSweepSpecText(const std::string &text, const std::filesystem::path &specDir,
                                     const SpecOptions &options)
{
    return guarded([&]() -> Result<SweepSpec> {
        auto value = parseStrict(text, "the spec");
        if (!value)
            return std::unexpected(value.error());
        return parseSpec(*value, specDir, options, "sweep");
    });
}

Result<SweepSpec> loadSweepSpec(const std::filesystem::path &file, const SpecOptions &options)
{
    auto spec = guarded([&]() -> Result<SweepSpec> {
        auto text = readText(file);
        if (!text)
            return std::unexpected(text.error());
        auto value = parseStrict(*text, "the spec");
        if (!value)
            return std::unexpected(value.error());
        return parseSpec(*value, file.parent_path(), options, file.stem().string());
    });
    if (!spec && spec.error().context != file.string()) {
        Error error = spec.error();
        error.context = file.string() + (error.context.empty() ? "" : ": " + error.context);
        return std::unexpected(error);
    }
    return spec;
}

nlohmann::json toJson(const SweepSpec &spec)
{
    static const char *const samplers[] = {"random", "grid", "tpe"};
    static const char *const pruners[] = {"none", "median", "asha"};
    json sampler = {{"name", samplers[int(spec.sampler.name)]}, {"seed", spec.sampler.seed}};
    if (spec.sampler.name == SamplerSpec::Name::Tpe) {
        sampler["startup_trials"] = spec.sampler.startupTrials;
        sampler["candidates"] = spec.sampler.candidates;
    }
    json pruner = {{"name", pruners[int(spec.pruner.name)]}};
    const char *resource
        = spec.pruner.resource == PrunerSpec::Resource::Epochs ? "epochs" : "steps";
    if (spec.pruner.name == PrunerSpec::Name::Median) {
        pruner["startup_trials"] = spec.pruner.startupTrials;
        pruner["warmup_steps"] = spec.pruner.warmupSteps;
        pruner["resource"] = resource;
    } else if (spec.pruner.name == PrunerSpec::Name::Asha) {
        pruner["min_resource"] = spec.pruner.minResource;
        pruner["reduction_factor"] = spec.pruner.reductionFactor;
        pruner["resource"] = resource;
    }
    return {
        {"name", spec.name},
        {"base", spec.base},
        {"space", toJson(spec.space)},
        {"objective",
         {{"metric", spec.objective.metric},
          {"direction", spec.objective.direction == Direction::Maximize ? "maximize" : "minimize"},
          {"use", spec.objective.use == Objective::Use::Best ? "best" : "last"}}},
        {"sampler", std::move(sampler)},
        {"pruner", std::move(pruner)},
        {"trials", spec.trials},
        {"workers", spec.workers}};
}

} // namespace lathe::sweep
