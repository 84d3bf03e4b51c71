// A sweep spec: the base run config, the space searched over it, the objective, the sampler,
// the pruner and the budget. Read from a JSON file next to run configs
// (resources/sweeps/fashion-cnn-lr.json is the example):
//
//   {"name": "fashion-cnn-lr",
//    "base": "../configs/fashion-cnn.json",          (a path from the spec's folder, or an object)
//    "space": {"optimizer.lr": {"type": "log_uniform", "low": 1e-4, "high": 0.1}, ...},
//    "objective": {"metric": "val/accuracy", "direction": "maximize", "use": "best"},
//    "sampler": {"name": "tpe", "seed": 7, "startup_trials": 10, "candidates": 24},
//    "pruner": {"name": "asha", "min_resource": 1, "reduction_factor": 3, "resource": "epochs"},
//    "trials": 40, "workers": 2}
#pragma once

#include "core/sweep/search_space.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace lathe::sweep {

enum class Direction { Minimize, Maximize };

/// What a trial is worth: one metric of its run, its best or its last value.
struct Objective
{
    enum class Use { Best, Last };
    std::string metric;                        ///< a metric key, "val/accuracy"
    Direction direction = Direction::Maximize; ///< required in a spec
    Use use = Use::Best;                       ///< default "best"
    bool operator==(const Objective &) const = default;
};

/// Whether `a` is better than `b` in `direction` (strictly; NaN is never better).
bool better(Direction direction, double a, double b);

/// The objective's value of a metric series (step -> value): its best (by the direction) or its
/// last finite value; nullopt when the series has none.
std::optional<double> objectiveValue(const Objective &objective,
                                     const std::map<std::int64_t, double> &series);

struct SamplerSpec
{
    enum class Name { Random, Grid, Tpe };
    Name name = Name::Tpe;  ///< default "tpe"
    std::uint64_t seed = 0; ///< default 0
    int startupTrials = 10; ///< tpe: random trials before the model is used
    int candidates = 24;    ///< tpe: draws from l(x) per dimension and trial
    bool operator==(const SamplerSpec &) const = default;
};

struct PrunerSpec
{
    enum class Name { None, Median, Asha };
    /// The unit of the intermediate values' steps (and of warmup_steps and min_resource): a
    /// trial reports its objective per epoch or per optimiser step.
    enum class Resource { Epochs, Steps };
    Name name = Name::None;
    Resource resource = Resource::Epochs;
    int startupTrials = 5;        ///< median: completed trials before any pruning
    std::int64_t warmupSteps = 0; ///< median: steps of a trial before it may be pruned
    std::int64_t minResource = 1; ///< asha: the first rung
    int reductionFactor = 3;      ///< asha: eta, rungs at min_resource * eta^k
    bool operator==(const PrunerSpec &) const = default;
};

struct SweepSpec
{
    std::string name;
    /// The base config, completed by SpecOptions::prepareBase when given.
    nlohmann::json base;
    /// The file the base came from (absolute or relative to the working folder); empty when
    /// the spec held it inline.
    std::filesystem::path basePath;
    SearchSpace space;
    Objective objective;
    SamplerSpec sampler;
    PrunerSpec pruner;
    int trials = 0;  ///< required, >= 1
    int workers = 0; ///< default 0: the runner decides (cores / threads per trial)
    bool operator==(const SweepSpec &) const = default;
};

/// Hooks for the layer that knows run configs (lathe_train), which core/sweep does not.
struct SpecOptions
{
    /// Turns the base config as written into the one trials start from: apply `--set`
    /// overrides, fill in defaults (RunConfig::fromJson(...)->toJson()), and refuse a bad one.
    /// Called before the space is checked against it.
    std::function<Result<nlohmann::json>(nlohmann::json)> prepareBase;
    /// Checks a trial config; called with the base and each dimension's extremes in turn (low
    /// and high, every choice), so a value the config refuses is reported up front, naming
    /// the space key.
    std::function<Result<void>(const nlohmann::json &)> checkConfig;
};

/// Parses and validates a spec object. `specDir` resolves a relative `base` path. Errors are
/// InvalidArgument (Io/BadInput for the base file) with the field as context ("sampler.name",
/// "objective.direction", `space."optimizer.lr"`) and a message naming the value and what was
/// expected; an unknown field names the valid ones. With the grid sampler the grid is checked
/// here (gridPoints). Never throws.
Result<SweepSpec> parseSweepSpec(const nlohmann::json &spec, const std::filesystem::path &specDir,
                                 const SpecOptions &options = {});

/// Parses spec text: a JSON syntax error names the line and column, and a key given twice in
/// any object is refused (a JSON object would silently keep the last), naming its path, e.g.
/// `space."optimizer.lr": given twice`.
Result<SweepSpec> parseSweepSpecText(const std::string &text, const std::filesystem::path &specDir,
                                     const SpecOptions &options = {});

/// Reads a spec file; errors have the file's path in front of their context.
Result<SweepSpec> loadSweepSpec(const std::filesystem::path &file, const SpecOptions &options = {});

/// The spec as a self-contained object (the base inline), for the store: parseSweepSpec of it
/// gives the same spec, with any folder, less basePath.
nlohmann::json toJson(const SweepSpec &spec);

} // namespace lathe::sweep
