#pragma once

#include "panels/common/ema.h"
#include "panels/common/plot_widget.h"
#include "panels/curves/curves_poll.h"

#include <QColor>
#include <QString>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lathe::panels {

/// What the x axis of the curves shows.
enum class CurveAxis { Step, Epoch, RelativeTime, WallTime };

/// The curves the panel holds: for each shown run its name, colour, events, the metric keys it
/// has recorded and every sample of its polled series (kCurveKeys, then the keys added with
/// addKey()), grown by the poll results, and the plotted form of each series for
/// the current x axis and smoothing, kept up to date incrementally (new rows are mapped and
/// smoothed on their own; an axis or smoothing change redoes the whole series). GUI thread only.
class CurveSet
{
public:
    /// What apply() changed.
    struct Changes
    {
        std::uint64_t keys = 0; ///< keyBit(key) for each series that changed
        bool events = false;    ///< markers to redraw
        bool names = false;     ///< run names or the set of runs
        bool recorded = false;  ///< recordedKeys() changed
    };

    /// One series for the CSV export: the samples at the time of the snapshot (shared and
    /// never changed afterwards, so it can be written on another thread).
    struct Snapshot
    {
        std::int64_t runId = 0;
        QString runName;
        std::string key;
        std::shared_ptr<const CurveSamples> samples;
    };

    /// Keeps only these runs, in this order (each in its runColour()).
    /// Returns true when the set of runs changed.
    bool setRuns(const std::vector<std::int64_t> &runIds);
    std::vector<std::int64_t> runIds() const;
    /// What to read next for every run.
    std::vector<RunPoll> polls() const;
    /// Takes in a poll's results (updates for runs no longer shown are ignored).
    Changes apply(std::vector<RunUpdate> updates);

    /// Polls the series of `name` too, from the next polls() on; returns its index into keys()
    /// (the existing one when it is a built-in key or already added).
    int addKey(const std::string &name);
    /// Stops polling an added key and drops its samples (built-in keys stay).
    void dropKey(int key);
    /// Every key that has an index (kCurveKeys first), polled or not.
    const std::vector<std::string> &keys() const { return m_keys; }
    /// The metric keys any shown run has recorded, sorted, as the last polls reported them.
    std::vector<std::string> recordedKeys() const;
    /// The bit of `key` in Changes::keys; keys from 63 on share the last bit.
    static std::uint64_t keyBit(int key) { return std::uint64_t(1) << std::min(key, 63); }

    /// Sets the x axis and the EMA weight (0 = raw) of smoothable series.
    void setDisplay(CurveAxis axis, double smoothing);
    /// The plotted series of `keys` for every run (a val key is dashed; a smoothed series comes
    /// with its raw values as a faint companion; throughput has a gap, a NaN y, at each pause).
    std::vector<PlotSeries> plotSeries(std::span<const int> keys, bool withKeySuffix);
    /// The plotted points of run `runId`'s series `key` (smoothed when smoothing applies to
    /// it), mapped to the current x axis; empty for a run not shown. Valid until the next call
    /// that changes the set.
    const std::vector<track::SeriesPoint> &plotted(std::int64_t runId, int key);
    /// The name of a series of `key` in a chart of `base` (a run, a group): with
    /// " · train" or " · val" when the chart shows both (" · slowest worker" and " · mean of the
    /// workers" for the step times).
    QString seriesName(const QString &base, int key, bool withKeySuffix) const;
    /// True for a validation key (drawn dashed).
    bool isValKey(int key) const;
    /// True for the keys drawn dashed: validation, and the workers' mean step time (beside the
    /// slowest worker's, solid).
    bool isDashedKey(int key) const;
    /// The "steered" and "lr_reduced" events of every run, placed on the current x axis.
    std::vector<PlotMarker> markers() const;
    /// Run names and colours, in order, for a legend.
    std::vector<std::pair<QString, QColor>> legend() const;
    std::size_t sampleCount() const;
    std::vector<Snapshot> snapshot() const;

    /// True for the keys smoothing applies to (per-step training series).
    static bool isSmoothable(int key);

private:
    struct Series
    {
        std::shared_ptr<CurveSamples> samples = std::make_shared<CurveSamples>();
        std::int64_t lastId = 0;
        std::size_t mapped = 0; ///< samples already in `raw`
        EmaState ema;           ///< the average after smooth.size() points of `raw`
        std::vector<track::SeriesPoint> raw;
        std::vector<track::SeriesPoint> smooth; ///< a prefix of `raw` smoothed (when smoothing)
    };
    struct Run
    {
        std::int64_t id = 0;
        QString name;
        bool missing = false;
        std::int64_t lastEventId = 0;
        std::vector<track::EventRow> events;
        std::vector<std::int64_t> pauses; ///< the steps at which the run was paused
        double origin = 0;                ///< first wall time seen: 0 of the relative time axis
        std::vector<std::string> recorded;
        std::vector<Series> series; ///< indexed like m_keys
    };

    Run *find(std::int64_t runId);
    void applyRun(Run &run, RunUpdate &update, Changes &changes);
    void addPause(Run &run, std::int64_t step, Changes &changes);
    static bool pausedBetween(const Run &run, double fromStep, double toStep);
    void mapNewRows(const Run &run, Series &series, int key);
    double axisX(const Run &run, const CurveSamples &samples, std::size_t i) const;
    double markerX(const Run &run, const track::EventRow &event) const;

    std::vector<Run> m_runs;
    std::vector<std::string> m_keys{kCurveKeys.begin(), kCurveKeys.end()};
    std::vector<bool> m_polled = std::vector<bool>(kCurveKeys.size(), true);
    CurveAxis m_axis = CurveAxis::Step;
    double m_smoothing = 0;
};

} // namespace lathe::panels
