#pragma once

#include "core/track/run_store.h"
#include "core/util/error.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lathe::compare {

/// One aspect of the environment (util::environmentAspects(): "CPU", "OS", ...) that differs
/// between compared runs, with each run's value ("" where the run recorded none).
struct EnvironmentRow
{
    std::string aspect{};
    std::vector<std::string> values{}; ///< one per run, in the order given
};

/// Where compared runs ran, beside their config diff: the aspects of their latest recorded
/// environments that differ (aspects a run did not record are not counted as differences),
/// and the sentence a view shows next to the differing config keys.
struct EnvironmentDiff
{
    std::vector<EnvironmentRow> rows{};
    /// "different CPU, host"; empty when the environments agree (or none was recorded).
    std::string summary{};
    /// How many of the runs recorded an environment (older runs did not).
    int recorded = 0;
};

/// The environment diff of `runIds` (each run's latest "environment" event,
/// train::latestEnvironment). `sameConfig`: the runs' configs agree (the seed aside), which
/// makes the summary "same config, different CPU". Errors: the store's (NotFound for an
/// unknown run). Reads only; one RunStore per thread.
Result<EnvironmentDiff> environmentDiff(track::RunStore &store,
                                        std::span<const std::int64_t> runIds, bool sameConfig);

/// One aspect on which two groups of runs ran differently: each side's distinct recorded
/// values, sorted (a side that ran on two CPUs lists both).
struct EnvironmentGroupRow
{
    std::string aspect{};
    std::vector<std::string> a{}, b{};
};

/// Where two groups of runs ran (the A/B comparison: `lathe-cli compare A B --stats`, the
/// window's Compare A/B dialog): the aspects whose sets of recorded values differ between the
/// sides. An aspect no run of a side recorded is not counted as a difference.
struct EnvironmentGroupDiff
{
    std::vector<EnvironmentGroupRow> rows{};
    /// "the groups ran on different CPU, LibTorch"; "same config, " before it when the sides'
    /// configs agree; empty when the environments agree (or none was recorded).
    std::string summary{};
    /// How many runs of each side recorded an environment (older runs did not).
    int recordedA = 0, recordedB = 0;
};

/// The environment diff of two groups of runs, from each run's latest "environment" event.
/// `sameConfig`: the sides' configs agree (the seed aside). Errors: the store's (NotFound for
/// an unknown run). Reads only; one RunStore per thread.
Result<EnvironmentGroupDiff> environmentGroupDiff(track::RunStore &store,
                                                  std::span<const std::int64_t> a,
                                                  std::span<const std::int64_t> b, bool sameConfig);

/// True when `diff` lists no config key other than training.seed: the configs are the same as
/// far as an environment comparison goes. Pure.
bool sameConfigButSeed(std::span<const track::ParamDiff> diff);

} // namespace lathe::compare
