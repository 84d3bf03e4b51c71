#pragma once

#include "core/sweep/search_space.h"
#include "core/track/sweep_store.h"
#include "core/util/error.h"

#include <QColor>
#include <QString>
#include <QStringList>

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace lathe::track {
class RunStore;
}

namespace lathe::panels {

/// One sweep as the Sweep panel's chooser lists it. A value type.
struct SweepListItem
{
    qint64 id = 0;
    QString name;
    track::SweepStatus status = track::SweepStatus::Running;
    int done = 0;   ///< trials ended (completed, pruned or failed)
    int total = -1; ///< the trial budget; -1 when the stored spec no longer parses
};

/// One key of the sweep's space, as an axis of its plots and a column of its table.
struct SweepAxis
{
    QString key;
    sweep::Kind kind = sweep::Kind::Uniform;
    double low = 0;
    double high = 0;
    QStringList choices; ///< a choice key's values as text, in the spec's order
};

/// One trial with plain values. `coords` has one entry per axis: the value of a numeric key,
/// the index of a choice key's value; NaN where the key is inactive (conditional) or unknown.
struct TrialItem
{
    int number = 0;
    track::TrialState state = track::TrialState::Running;
    std::optional<double> value;
    qint64 runId = 0; ///< 0 before the trial's run exists
    QString runName;
    QStringList params; ///< per axis, as text ("" where inactive)
    std::vector<double> coords;
    std::optional<double> lastValue; ///< the last intermediate objective value
    std::int64_t lastStep = 0;
    QString error;

    /// Completed with a finite objective value.
    bool hasCompletedValue() const
    {
        return state == track::TrialState::Completed && value && std::isfinite(*value);
    }
};

/// A sweep read once on the store thread, with everything the panel derives from it.
struct SweepSnapshot
{
    SweepListItem info;
    std::uint64_t signature = 0; ///< changes whenever anything shown changes
    QString metric;              ///< the objective's metric, "val/accuracy"
    bool maximize = true;
    std::vector<SweepAxis> axes;
    std::vector<TrialItem> trials; ///< by number
    /// The best completed value up to and including each trial (same order); NaN before any.
    std::vector<double> bestSoFar;
    int completed = 0;
    int bestNumber = -1;                                ///< -1 when no trial completed
    std::string bestConfigJson;                         ///< the base with the best trial's params
    std::vector<std::pair<QString, double>> importance; ///< most important first; empty < 3
    QString problem; ///< why the spec or the best config could not be read, else empty
};

/// Every sweep of the store, newest first, with its done/total. A sweep's total comes from
/// `knownTotals` (sweep id -> total, from an earlier list: a stored spec never changes) when
/// it is there, else from parsing its spec (a few ms each). Store thread only.
Result<std::vector<SweepListItem>> readSweepList(track::SweepStore &sweeps,
                                                 const std::map<qint64, int> &knownTotals = {});

/// Sweep `id` with its trials, their runs' names, the best-so-far line, the best config and
/// the parameter importance (PED-ANOVA on the completed trials; empty below three). nullopt
/// when its signature equals `unchanged` (nothing to redraw). Errors: the store's, NotFound
/// for an unknown sweep. Store thread only.
Result<std::optional<SweepSnapshot>> readSweepSnapshot(track::RunStore &runs,
                                                       track::SweepStore &sweeps, qint64 id,
                                                       std::uint64_t unchanged);

/// The colour of `t` in [0, 1] (clamped; NaN as 0) on the Viridis map: Lathe's heat maps have
/// one colouring (kernels::colormapTable), and the sweep contour's objective uses it too.
/// Pure function, thread-safe.
QRgb objectiveColour(double t);

} // namespace lathe::panels
