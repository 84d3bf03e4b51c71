#pragma once

#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/util/error.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// What the live-curves panel reads from the store, and the read itself (run on the store
// thread): whole series the first time, only the rows added since afterwards.
namespace lathe::panels {

/// The metric keys the curves panel always shows (see train::RunRecorder), indexed by
/// CurveKey: the first entries of CurveSet's key list, which grows by the metrics picked.
inline constexpr std::array<std::string_view, 6> kCurveKeys{
    track::keys::kTrainLoss,   track::keys::kValLoss,      track::keys::kTrainAccuracy,
    track::keys::kValAccuracy, track::keys::kLearningRate, track::keys::kSamplesPerSecond};

/// Indices into kCurveKeys.
enum CurveKey { TrainLoss, ValLoss, TrainAccuracy, ValAccuracy, LearningRate, SamplesPerSec };

/// Every stored sample of one series of one run, in id order, column by column.
struct CurveSamples
{
    std::vector<double> step;
    std::vector<double> epoch;
    std::vector<double> wallTime;
    std::vector<double> value;

    std::size_t size() const { return value.size(); }
    void append(const track::MetricRow &row);
    void append(const CurveSamples &rows);
};

/// What the panel already has of one series.
struct SeriesCursor
{
    int key = 0;             ///< an index into the panel's key list (a CurveKey first)
    std::string name;        ///< the metric key it stands for
    std::int64_t lastId = 0; ///< 0: nothing yet, read it all
    double lastStep = -1;    ///< the step and wall time of the last sample held
    double lastWallTime = 0;
};

/// What to read for one run.
struct RunPoll
{
    std::int64_t runId = 0;
    std::int64_t lastEventId = 0; ///< events with a greater id are returned
    std::vector<SeriesCursor> series;
};

/// New rows of one series; `reload` means they replace what the panel had (a first read, or
/// a resumed run whose later rows were deleted and written again).
struct SeriesUpdate
{
    int key = 0;
    bool reload = false;
    CurveSamples rows;
    std::int64_t afterId = 0; ///< the cursor's lastId these rows follow (when not a reload)
    std::int64_t lastId = 0;
};

/// What changed for one run.
struct RunUpdate
{
    std::int64_t runId = 0;
    std::string name;
    bool missing = false; ///< the run is not (or no longer) in the store
    std::vector<track::EventRow> events;
    std::vector<SeriesUpdate> series; ///< only the series that changed
    std::vector<std::string> keys;    ///< every metric key the run has recorded, sorted
};

/// Reads what `polls` ask for. An Error only for a store failure (not for a missing run).
/// Runs on the store thread; `store` is used by no other thread meanwhile.
Result<std::vector<RunUpdate>> pollCurves(track::RunStore &store,
                                          const std::vector<RunPoll> &polls);

} // namespace lathe::panels
