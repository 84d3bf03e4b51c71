#pragma once

// Internal to lathe_train: the checks behind RunConfig::fromJson, one JSON value at a time.
// Every reader returns an Error whose context is the dotted key it was given and whose message
// names the value and what was expected. Not part of the public API.

#include "core/util/error.h"

#include "core/util/extension_use.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::train::detail {

/// An allowed numeric interval; either end may be open or infinite.
struct NumberRule
{
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    bool loOpen = false;
    bool hiOpen = false;
};

/// "a number in (0, 10]", "an integer in [1, 1024]", "an integer >= 0".
std::string describeRule(const NumberRule &rule, bool integer);

/// The value as compact JSON for a message, shortened when long. Never throws.
std::string showValue(const nlohmann::json &value);

/// Levenshtein distance, case-insensitive, '-' and '_' treated alike.
std::size_t editDistance(std::string_view a, std::string_view b);

/// The name in `names` closest to `word` when it is a likely typo, else "".
std::string closestName(std::string_view word, const std::vector<std::string> &names);

/// Fails unless `value` is an object; `section` is the dotted path ("" for the top level).
Result<void> checkObject(const nlohmann::json &value, const std::string &section,
                         const std::vector<std::string> &keys);

/// The error for key `key` of `section` not being one of `keys` (with a suggestion).
Error unknownKeyError(const std::string &key, const std::string &section,
                      const std::vector<std::string> &keys);

/// Readers: each checks the type and the range or choices of one value found at `where`.
Result<double> readNumber(const nlohmann::json &value, const std::string &where,
                          const NumberRule &rule);
Result<std::int64_t> readInteger(const nlohmann::json &value, const std::string &where,
                                 const NumberRule &rule);
Result<std::uint64_t> readUnsigned(const nlohmann::json &value, const std::string &where);
Result<bool> readBool(const nlohmann::json &value, const std::string &where);
/// Empty `choices` accepts any non-empty string.
Result<std::string> readString(const nlohmann::json &value, const std::string &where,
                               const std::vector<std::string> &choices);
/// A list of numbers, each within `rule`, strictly ascending.
Result<std::vector<double>> readAscending(const nlohmann::json &value, const std::string &where,
                                          const NumberRule &rule);

/// A list of strings (each non-empty).
Result<std::vector<std::string>> readStringList(const nlohmann::json &value,
                                                const std::string &where);
/// A list of distinct integers, each within `rule`.
Result<std::vector<std::int64_t>> readIntegerSet(const nlohmann::json &value,
                                                 const std::string &where, const NumberRule &rule);
/// An object of numbers, each within `rule` (e.g. per-stage learning-rate multipliers).
Result<std::map<std::string, double>>
readNumberMap(const nlohmann::json &value, const std::string &where, const NumberRule &rule);
/// An object of scalar values (strings, numbers, booleans), each kept as text: an
/// extension's options (data.options).
Result<Options> readOptions(const nlohmann::json &value, const std::string &where);
/// A list of {"name": <one of `names`>, <option>: <scalar>, ...} objects (metrics,
/// augment.extra); errors name the list entry, e.g. "metrics[1].name".
Result<std::vector<ExtensionUse>> readExtensionUses(const nlohmann::json &value,
                                                    const std::string &where,
                                                    const std::vector<std::string> &names);

/// JSON for a config value: as is, except options, whose texts are written back as the numbers
/// or booleans they spell (so "0.5" reads back as 0.5 and round-trips).
template<typename T>
nlohmann::json toJsonValue(const T &value)
{
    return nlohmann::json(value);
}
nlohmann::json toJsonValue(const Options &options);
nlohmann::json toJsonValue(const std::vector<ExtensionUse> &uses);

} // namespace lathe::train::detail
