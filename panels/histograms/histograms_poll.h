#pragma once

#include "core/track/run_store.h"
#include "core/util/error.h"

#include <cstdint>
#include <optional>
#include <vector>

// What the Histograms panel reads from the store on each poll (run on the store thread): the
// run's series and the new histograms of the selected one.
namespace lathe::panels {

/// What to read for one run.
struct HistogramPollRequest
{
    std::int64_t runId = 0;
    std::optional<track::HistogramKey> series; ///< the series shown; none = keys only
    std::int64_t afterStep = -1;               ///< histograms with a greater step are read
};

/// What one poll found.
struct HistogramPollResult
{
    bool missing = false;   ///< the run is not (or no longer) in the store
    std::int64_t every = 0; ///< the run's histograms.every (0 = off)
    bool live = false;      ///< the run is created, running or paused
    std::vector<track::HistogramKey> keys;
    std::vector<track::HistogramSample> samples; ///< of `series`, step > afterStep
};

/// Reads what `request` asks for. An Error only for a store failure (not a missing run).
/// Runs on the store thread; `store` is used by no other thread meanwhile.
Result<HistogramPollResult> pollHistograms(track::RunStore &store,
                                           const HistogramPollRequest &request);

} // namespace lathe::panels
