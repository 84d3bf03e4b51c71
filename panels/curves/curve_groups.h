#pragma once

#include "core/stats/curves.h"
#include "panels/bridge/store_client.h"
#include "panels/common/plot_widget.h"
#include "panels/curves/curve_set.h"

#include <QColor>
#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lathe::panels {

/// How the curves panel groups the shown runs: by `key` ("repeat", "sweep", "tags" or a config
/// key, as track::groupValue reads it; empty: not grouped), each group drawn as its centre line
/// with a band.
struct GroupSettings
{
    std::string key;
    stats::Centre centre = stats::Centre::Mean;
    stats::Band band = stats::Band::Std;

    bool operator==(const GroupSettings &) const = default;
};

/// A group of the shown runs: the value they share for the key, and the runs in shown order.
struct CurveGroup
{
    QString value;
    std::vector<std::int64_t> runIds;
};

/// The plotted points of each run of a group, for one series.
using GroupInputs = std::vector<std::vector<stats::CurvePoint>>;

/// What one band is computed from: the points of group `group` (an index into the groups) for
/// series `key` (an index into CurveSet::keys()); shared and never changed once made, so the
/// worker and CurveGroups' record of what a band came from hold the same copy.
struct GroupJob
{
    int key = 0;
    std::size_t group = 0;
    std::shared_ptr<const GroupInputs> runs;
};

/// A computed band: a GroupJob's key and group, and stats::aggregateCurves of its runs.
struct GroupBand
{
    int key = 0;
    std::size_t group = 0;
    std::vector<stats::BandPoint> points;
};

/// The jobs of `keys` for every group, from the curves as `curves` plots them now (on its x
/// axis, smoothed where it smooths). GUI thread: it reads `curves`.
std::vector<GroupJob> groupJobs(CurveSet &curves, const std::vector<CurveGroup> &groups,
                                std::span<const int> keys);
/// A job's band, by the settings' centre and band. Pure and thread-safe: run on a worker.
GroupBand aggregateGroup(const GroupJob &job, const GroupSettings &settings);

/// The shown runs of a CurveSet drawn by group. Reads which group each run is in through the
/// StoreClient (its tags and params, on the store thread: track::groupRuns), computes the
/// groups' bands on Qt's thread pool (a band a task), one computation at a time (keys asked for
/// while one runs are computed together after it), and keeps the last bands of each key. GUI thread
/// only; `store` and `curves` must outlive it.
class CurveGroups : public QObject
{
    Q_OBJECT

public:
    CurveGroups(StoreClient &store, CurveSet &curves, QObject *parent = nullptr);

    /// Groups by `settings` from now on: a new key reads the groups again; groupsChanged
    /// follows (at once when the key is the same, once read otherwise).
    void setSettings(const GroupSettings &settings);
    const GroupSettings &settings() const { return m_settings; }
    bool active() const { return !m_settings.key.empty(); }
    /// Reads the groups again when the curves show other runs than those grouped.
    void followRuns();
    /// Computes the bands of `keys` again from the curves as they are now; bandsReady follows.
    void update(std::span<const int> keys);
    /// The last bands of `keys` as plot series, group by group: the centre line in the colour
    /// of the group's first run, named "<value> (n runs)" (seriesName's suffix added), whose
    /// hover read-out says the centre, the band and how many of the group's runs it holds.
    std::vector<PlotSeries> series(std::span<const int> keys, bool withKeySuffix) const;
    /// The groups' names and colours, for a legend; empty until they are read.
    std::vector<std::pair<QString, QColor>> legend() const;
    /// How many bands were computed since construction (a band whose runs are unchanged since
    /// it was computed is not computed again).
    std::size_t bandsComputed() const { return m_computed; }
    /// Why the groups could not be read; empty when they could.
    const QString &error() const { return m_error; }

    /// One band drawn: its centre line named `name` in `color` (dashed: validation), the band
    /// behind it, and a read-out such as "mean 0.871, band 0.865..0.877, 3 of 5 runs" (out of
    /// `groupSize`).
    static PlotSeries bandSeries(const QString &name, const QColor &color,
                                 std::shared_ptr<const std::vector<stats::BandPoint>> points,
                                 int groupSize, stats::Centre centre, bool dashed);
    /// "<value> (n runs)".
    static QString groupName(const CurveGroup &group);

Q_SIGNALS:
    /// The groups or the way they are drawn changed: every chart is to be computed again.
    void groupsChanged();
    /// Bands were computed; `keys` holds CurveSet::keyBit of each key asked for.
    void bandsReady(std::uint64_t keys);

private:
    void readGroups();
    void start();
    void finish();

    using Band = std::shared_ptr<const std::vector<stats::BandPoint>>;
    using Inputs = std::shared_ptr<const GroupInputs>;
    using BandId = std::pair<int, std::size_t>; ///< key, group

    /// Whether `job` is what the band in m_bands was computed from, bit for bit.
    bool unchanged(const GroupJob &job) const;

    StoreClient *m_store = nullptr;
    CurveSet *m_curves = nullptr;
    GroupSettings m_settings;
    std::vector<std::int64_t> m_groupedRuns;         ///< the runs the groups were read for
    std::optional<std::vector<CurveGroup>> m_groups; ///< nullopt until read
    /// Counts changes of the groups and settings: a computation started before one is dropped.
    std::uint64_t m_generation = 0;
    /// From start() until finish() has taken its result in (the watcher's own state turns
    /// before its finished signal is delivered).
    bool m_computing = false;
    std::uint64_t m_runningGeneration = 0;
    std::uint64_t m_runningKeys = 0;
    std::vector<int> m_pending; ///< keys to compute once the groups are read or the run ends
    QFutureWatcher<GroupBand> m_watcher;
    std::map<int, std::vector<Band>> m_bands; ///< by key, one per group
    /// What each band of m_bands was computed from, and what the running computation's jobs
    /// hold: a band whose runs gained no point since is not computed again (a bootstrap band
    /// costs about a second of CPU per 10 runs of 10k points).
    std::map<BandId, Inputs> m_inputs;
    std::map<BandId, Inputs> m_runningInputs;
    std::size_t m_computed = 0;
    QString m_error;
};

} // namespace lathe::panels
