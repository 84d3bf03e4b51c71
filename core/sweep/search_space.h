// The search space of a sweep: which config keys a trial varies, over which values, and when.
// Parsed from the `space` object of a sweep spec and checked against the run config the trials
// start from. Qt-free and LibTorch-free, like the rest of core/sweep.
#pragma once

#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lathe::sweep {

/// One trial's values: dotted config key -> the value it takes ("optimizer.lr" -> 0.003). A
/// conditional key whose condition does not hold is absent.
using Params = std::map<std::string, nlohmann::json>;

/// How a dimension draws its values.
enum class Kind {
    Uniform,    ///< a real number in [low, high]
    LogUniform, ///< a real number in [low, high], uniform in log space (low > 0)
    Int,        ///< an integer low, low + step, ..., high
    Choice,     ///< one of `values` (strings, numbers, booleans or arrays; one type)
};

/// "uniform", "log_uniform", "int", "choice": the spelling in a spec.
const char *kindName(Kind kind);

/// A dimension is active only when every condition holds: the key (another dimension of the
/// space) has one of `values`. In a spec, `"when": {"optimizer.name": "sgd"}` or, for several
/// allowed values (and for array values), a list: `{"optimizer.name": ["sgd", "rmsprop"]}`.
struct Condition
{
    std::string key;
    std::vector<nlohmann::json> values;
    bool operator==(const Condition &) const = default;
};

/// One key of the space.
struct Dimension
{
    std::string key; ///< dotted config key, "optimizer.lr"
    Kind kind = Kind::Uniform;
    double low = 0;        ///< Uniform, LogUniform, Int
    double high = 0;       ///< Uniform, LogUniform, Int
    std::int64_t step = 1; ///< Int
    int grid = 0;          ///< Uniform, LogUniform: points for the grid sampler (0: none)
    std::vector<nlohmann::json> values; ///< Choice
    std::vector<Condition> when;        ///< all must hold; empty: always active
    bool operator==(const Dimension &) const = default;

    /// Number of values for Int and Choice, `grid` for the others (0 when unset).
    std::int64_t gridCount() const;
    /// The i-th grid value (i < gridCount()): low + i * step, values[i], or the i-th of `grid`
    /// points spaced evenly from low to high (in log space for LogUniform).
    nlohmann::json gridValue(std::int64_t i) const;
};

/// The dimensions in sampling order: sorted by key, except that a dimension comes after every
/// dimension its conditions name.
struct SearchSpace
{
    std::vector<Dimension> dimensions;
    bool operator==(const SearchSpace &) const = default;

    /// The dimension for `key`, or nullptr.
    const Dimension *find(const std::string &key) const;
};

/// Parses and validates a spec's `space` object against `baseConfig` (the run config JSON the
/// trials start from, with every key present: pass a config completed with its defaults, e.g.
/// `RunConfig::toJson()`, so that a key the file left at its default still counts).
///
/// Each key must name a value of the base config (not a section), and a dimension's values must
/// have the base value's type (numbers for a number, strings for a string, ...). Conditions name
/// either another dimension (a choice or int one, and only values it can take) or a key of the
/// base config; a condition on a base-config key is decided here once: dropped when the base
/// value satisfies it, an error when it never can. Conditions may not form a cycle.
///
/// Errors are InvalidArgument with context `space."<key>"` and a message saying what is wrong
/// and what was expected, e.g. `space."optimizer.lr": low 0.1 is above high 0.01`. A key given
/// twice in the spec text is caught by the text parser (sweep_spec.h): a JSON object cannot
/// hold it. Never throws.
Result<SearchSpace> parseSearchSpace(const nlohmann::json &space, const nlohmann::json &baseConfig);

/// The space as the JSON object parseSearchSpace reads (conditions on base-config keys that
/// were decided at parse time are gone). Round-trips: parse(toJson(s), base) == s.
nlohmann::json toJson(const SearchSpace &space);

/// Whether every condition of `dimension` holds for `params` (a condition's key absent from
/// `params`, because that dimension is itself inactive, does not hold).
bool isActive(const Dimension &dimension, const Params &params);

/// `config` with each key of `params` set to its value, by the key's path in the config (the
/// same dotted paths as `lathe-cli --set`). NotFound naming the key when the config has no such
/// value. Never throws.
Result<nlohmann::json> applyParams(const nlohmann::json &config, const Params &params);

/// Every point of the grid sampler's grid, in its order: the product of each dimension's
/// gridCount() values, the last dimension varying fastest, a conditional key left out where its
/// condition does not hold (points that then coincide are listed once). InvalidArgument naming
/// the key when a uniform or log_uniform dimension has no `grid` count, or when the grid has
/// more than a million points.
Result<std::vector<Params>> gridPoints(const SearchSpace &space);

/// Whether two values are the same: numbers within a relative 1e-9 (a value read back from the
/// store may have lost its last bit), anything else equal as JSON.
bool sameValue(const nlohmann::json &a, const nlohmann::json &b);

/// The key as a JSON pointer into a config ("optimizer.lr" -> "/optimizer/lr").
nlohmann::json::json_pointer configPointer(const std::string &key);

} // namespace lathe::sweep
