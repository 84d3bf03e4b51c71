#include "panels/curves/curve_groups.h"

#include "core/track/run_groups.h"
#include "panels/common/run_colour.h"

#include <QCoreApplication>
#include <QtConcurrent/QtConcurrentMap>

#include <algorithm>
#include <cstring>

namespace lathe::panels {

namespace {

// On the store thread: the shown runs' groups by `key` (a run deleted meanwhile is left out).
Result<std::vector<CurveGroup>>
readRunGroups(track::RunStore &store, const std::vector<std::int64_t> &ids, const std::string &key)
{
    std::vector<track::RunInfo> runs;
    for (const auto id : ids) {
        auto run = store.run(id);
        if (!run && run.error().code == ErrorCode::NotFound)
            continue;
        if (!run)
            return std::unexpected(run.error());
        runs.push_back(std::move(*run));
    }
    std::optional<Error> failed;
    const auto paramsOf = [&](const track::RunInfo &run) {
        auto params = store.params(run.id);
        if (!params)
            failed = params.error();
        return params ? std::move(*params) : track::RunParams{};
    };
    const std::string keys[] = {key};
    const auto grouped = track::groupRuns(keys, runs, paramsOf);
    if (failed)
        return std::unexpected(*failed);
    std::vector<CurveGroup> groups;
    for (const auto &group : grouped)
        groups.push_back({QString::fromStdString(group.values.front()), group.runIds});
    return groups;
}

QString fourDigits(double value)
{
    return QString::number(value, 'g', 4);
}

// "1 run", "5 runs".
QString runCount(int n)
{
    return n == 1 ? QCoreApplication::translate("CurveGroups", "1 run")
                  : QCoreApplication::translate("CurveGroups", "%1 runs").arg(n);
}

} // namespace

std::vector<GroupJob> groupJobs(CurveSet &curves, const std::vector<CurveGroup> &groups,
                                std::span<const int> keys)
{
    std::vector<GroupJob> jobs;
    for (const int key : keys) {
        for (std::size_t g = 0; g < groups.size(); ++g) {
            auto runs = std::make_shared<GroupInputs>();
            for (const auto id : groups[g].runIds) {
                const auto &points = curves.plotted(id, key);
                auto &run = runs->emplace_back(points.size());
                std::transform(points.begin(), points.end(), run.begin(), [](const auto &p) {
                    return stats::CurvePoint{p.x, p.y};
                });
            }
            jobs.push_back({key, g, std::move(runs)});
        }
    }
    return jobs;
}

GroupBand aggregateGroup(const GroupJob &job, const GroupSettings &settings)
{
    stats::AggregateOptions options;
    options.centre = settings.centre;
    options.band = settings.band;
    return {job.key, job.group, stats::aggregateCurves(*job.runs, options)};
}

CurveGroups::CurveGroups(StoreClient &store, CurveSet &curves, QObject *parent)
    : QObject(parent)
    , m_store(&store)
    , m_curves(&curves)
{
    setObjectName(QStringLiteral("curveGroups"));
    connect(&m_watcher, &QFutureWatcherBase::finished, this, &CurveGroups::finish);
}

void CurveGroups::setSettings(const GroupSettings &settings)
{
    if (settings == m_settings)
        return;
    const bool newKey = settings.key != m_settings.key;
    m_settings = settings;
    ++m_generation; // a band being computed the old way is not drawn
    m_inputs.clear();
    if (newKey) {
        readGroups();
        if (active())
            return; // groupsChanged comes with the groups
    }
    Q_EMIT groupsChanged();
}

void CurveGroups::followRuns()
{
    if (active() && m_curves->runIds() != m_groupedRuns)
        readGroups();
}

void CurveGroups::readGroups()
{
    m_groups.reset();
    m_bands.clear();
    m_inputs.clear();
    m_error.clear();
    ++m_generation;
    m_groupedRuns = m_curves->runIds();
    if (!active())
        return;
    const auto read = [ids = m_groupedRuns, key = m_settings.key](track::RunStore &store) {
        return readRunGroups(store, ids, key);
    };
    const auto done = [this, ids = m_groupedRuns,
                       key = m_settings.key](Result<std::vector<CurveGroup>> groups) {
        if (key != m_settings.key || ids != m_groupedRuns)
            return; // asked for runs or a key no longer shown: a newer read is on its way
        m_error = groups ? QString() : QString::fromStdString(groups.error().toString());
        m_groups = groups ? std::move(*groups) : std::vector<CurveGroup>{};
        ++m_generation;
        Q_EMIT groupsChanged();
    };
    m_store->query(this, read, done);
}

void CurveGroups::update(std::span<const int> keys)
{
    m_pending.insert(m_pending.end(), keys.begin(), keys.end());
    if (active() && m_groups && !m_computing)
        start();
}

void CurveGroups::start()
{
    std::sort(m_pending.begin(), m_pending.end());
    m_pending.erase(std::unique(m_pending.begin(), m_pending.end()), m_pending.end());
    m_runningKeys = 0;
    for (const int key : m_pending)
        m_runningKeys |= CurveSet::keyBit(key);
    // The points are copied here, on the GUI thread, so the worker shares nothing with it.
    auto jobs = groupJobs(*m_curves, *m_groups, m_pending);
    std::erase_if(jobs, [this](const GroupJob &job) { return unchanged(job); });
    m_runningInputs.clear();
    for (const auto &job : jobs)
        m_runningInputs[{job.key, job.group}] = job.runs;
    m_pending.clear();
    m_runningGeneration = m_generation;
    m_computing = true;
    m_watcher.setFuture(
        QtConcurrent::mapped(std::move(jobs), [settings = m_settings](const GroupJob &job) {
            return aggregateGroup(job, settings);
        }));
}

void CurveGroups::finish()
{
    m_computing = false;
    if (m_runningGeneration == m_generation && m_groups) {
        for (auto &band : m_watcher.future().results()) {
            auto &bands = m_bands[band.key];
            bands.resize(m_groups->size());
            bands[band.group]
                = std::make_shared<const std::vector<stats::BandPoint>>(std::move(band.points));
            m_inputs[{band.key, band.group}] = std::move(m_runningInputs[{band.key, band.group}]);
            ++m_computed;
        }
        Q_EMIT bandsReady(m_runningKeys);
    }
    if (!m_pending.empty() && active() && m_groups)
        start();
}

bool CurveGroups::unchanged(const GroupJob &job) const
{
    const auto bands = m_bands.find(job.key);
    if (bands == m_bands.end() || job.group >= bands->second.size() || !bands->second[job.group])
        return false;
    const auto inputs = m_inputs.find({job.key, job.group});
    if (inputs == m_inputs.end() || inputs->second->size() != job.runs->size())
        return false;
    for (std::size_t r = 0; r < job.runs->size(); ++r) {
        const auto &before = (*inputs->second)[r], &now = (*job.runs)[r];
        // Bitwise, so that a NaN point compares equal to itself.
        if (before.size() != now.size()
            || (!now.empty()
                && std::memcmp(before.data(), now.data(), now.size() * sizeof(stats::CurvePoint))
                       != 0))
            return false;
    }
    return true;
}

std::vector<PlotSeries> CurveGroups::series(std::span<const int> keys, bool withKeySuffix) const
{
    std::vector<PlotSeries> out;
    if (!m_groups)
        return out;
    for (std::size_t g = 0; g < m_groups->size(); ++g) {
        const CurveGroup &group = (*m_groups)[g];
        for (const int key : keys) {
            const auto it = m_bands.find(key);
            if (it == m_bands.end() || g >= it->second.size() || !it->second[g]
                || it->second[g]->empty())
                continue;
            out.push_back(bandSeries(m_curves->seriesName(groupName(group), key, withKeySuffix),
                                     runColour(group.runIds.front()), it->second[g],
                                     int(group.runIds.size()), m_settings.centre,
                                     m_curves->isDashedKey(key)));
        }
    }
    return out;
}

std::vector<std::pair<QString, QColor>> CurveGroups::legend() const
{
    std::vector<std::pair<QString, QColor>> out;
    if (m_groups)
        for (const auto &group : *m_groups)
            out.emplace_back(groupName(group), runColour(group.runIds.front()));
    return out;
}

PlotSeries CurveGroups::bandSeries(const QString &name, const QColor &color, Band points,
                                   int groupSize, stats::Centre centre, bool dashed)
{
    PlotSeries series{name, color, {}, dashed, false};
    series.points.reserve(points->size());
    series.band.reserve(points->size());
    for (const auto &p : *points) {
        series.points.push_back({p.x, p.centre});
        series.band.emplace_back(p.low, p.high);
    }
    const QString centreName = centre == stats::Centre::Mean ? tr("mean") : tr("median");
    series.describe = [points, groupSize, centreName](std::size_t i) {
        const stats::BandPoint &p = (*points)[i];
        return tr("%1 %2, band %3..%4, %5 of %6")
            .arg(centreName, fourDigits(p.centre), fourDigits(p.low), fourDigits(p.high),
                 QString::number(p.runs), runCount(groupSize));
    };
    return series;
}

QString CurveGroups::groupName(const CurveGroup &group)
{
    return tr("%1 (%2)").arg(group.value, runCount(int(group.runIds.size())));
}

} // namespace lathe::panels
