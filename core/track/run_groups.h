#pragma once

#include "core/track/store_types.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Runs grouped by what they share: a config key's value, a repeat group, a sweep or a tag set.
// The `lathe-cli compare --group-by` table and the A/B comparison read the groups from here.
namespace lathe::track {

/// The value a run has for a group key when it has none ("(none)").
inline constexpr std::string_view kNoGroupValue = "(none)";

/// The tag of a repeat group ("repeat:<group>"): `train --repeat N` gives each of its runs one.
inline constexpr std::string_view kRepeatTagPrefix = "repeat:";
/// The tag a sweep gives its trials' runs ("sweep:<id>").
inline constexpr std::string_view kSweepTagPrefix = "sweep:";

/// A run's flattened config (RunStore::params: sorted "optimizer.lr" -> "0.003").
using RunParams = std::vector<std::pair<std::string, std::string>>;

/// What `run` has for group key `key`: "repeat" and "sweep" read the run's repeat: or sweep: tag
/// (the part after the colon), "tags" its tag set joined with ","; any other key is a config
/// key looked up in `params`. kNoGroupValue when absent. Thread-safe.
std::string groupValue(std::string_view key, const RunInfo &run, const RunParams &params);

struct RunGroup
{
    std::vector<std::string> values; ///< one per group key, in the keys' order
    std::vector<std::int64_t> runIds;
    /// "optimizer.name=adamw, model.widths=[16,32]".
    std::string label(std::span<const std::string> keys) const;
};

/// The runs grouped by `keys` (one or more), groups ordered by their values (numbers as
/// numbers), runs within a group in the order given. `paramsOf` reads a run's params, called
/// once per run and only when a key needs them.
std::vector<RunGroup> groupRuns(std::span<const std::string> keys, std::span<const RunInfo> runs,
                                const std::function<RunParams(const RunInfo &)> &paramsOf);

} // namespace lathe::track
