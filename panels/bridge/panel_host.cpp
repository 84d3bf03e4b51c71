#include "panels/bridge/panel_host.h"

#include "core/track/run_store.h"
#include "panels/bridge/store_client.h"

#include <spdlog/spdlog.h>

#include <QTimer>

#include <algorithm>

namespace lathe::panels {

namespace {

/// Runs kept before the cache is dropped (a long session browsing many runs).
constexpr std::size_t kMaxPanelRuns = 64;

} // namespace

struct PanelHost::Fetched
{
    bool found = false;
    std::string name;
    std::vector<std::string> metrics;
    /// Per series asked for: rows read, and whether they replace the cached ones.
    std::vector<std::pair<std::string, std::pair<bool, std::vector<track::MetricRow>>>> rows;
};

PanelHost::PanelHost(StoreClient &store, QObject *parent)
    : QObject(parent)
    , m_store(store)
{
}

PanelHost::~PanelHost() = default;

PanelHost::Run &PanelHost::touch(std::int64_t runId, bool force)
{
    if (m_runs.size() > kMaxPanelRuns && !m_runs.contains(runId))
        m_runs.clear();
    Run &run = m_runs[runId];
    if (run.inFlight) {
        run.again = run.again || force;
        return run;
    }
    if (!force && run.loaded && run.age.isValid() && run.age.elapsed() < kFreshMs)
        return run;
    run.inFlight = true;
    // After this turn of the event loop, so that one read serves every series asked for now.
    QTimer::singleShot(0, this, [this, runId] { fetch(runId); });
    return run;
}

void PanelHost::fetch(std::int64_t runId)
{
    std::vector<std::pair<std::string, std::int64_t>> wanted; // key, rows after this id
    for (auto &[key, series] : m_runs[runId].series)
        wanted.emplace_back(key, series.reread ? 0 : series.lastId);
    m_store.query(
        this,
        [runId, wanted = std::move(wanted)](track::RunStore &store) -> Result<Fetched> {
            Fetched fetched;
            auto run = store.run(runId);
            if (!run) {
                if (run.error().code == ErrorCode::NotFound)
                    return fetched;
                return std::unexpected(run.error());
            }
            fetched.found = true;
            fetched.name = run->name;
            auto keys = store.metricKeys(runId);
            if (!keys)
                return std::unexpected(keys.error());
            fetched.metrics = std::move(*keys);
            for (const auto &[key, afterId] : wanted) {
                auto rows = store.metricSeries(runId, key, afterId);
                if (!rows)
                    return std::unexpected(rows.error());
                fetched.rows.push_back({key, {afterId == 0, std::move(*rows)}});
            }
            return fetched;
        },
        [this, runId](Result<Fetched> fetched) {
            Run &run = m_runs[runId];
            run.inFlight = false;
            run.age.start();
            if (!fetched) {
                fail(fetched.error().toString());
            } else {
                m_lastError.clear();
                apply(runId, std::move(*fetched));
            }
            if (std::exchange(run.again, false))
                touch(runId, true);
        });
}

void PanelHost::apply(std::int64_t runId, Fetched fetched)
{
    Run &run = m_runs[runId];
    bool changed = !run.loaded || run.name != fetched.name || run.metrics != fetched.metrics;
    run.loaded = true;
    run.name = std::move(fetched.name);
    run.metrics = std::move(fetched.metrics);
    for (auto &[key, read] : fetched.rows) {
        auto &[whole, rows] = read;
        Series &series = run.series[key];
        if (whole) {
            changed = changed || !series.points.empty() || !rows.empty();
            series = Series{};
        }
        for (const auto &row : rows) {
            series.lastId = std::max(series.lastId, row.id);
            series.points.push_back({row.step, row.epoch, row.value});
        }
        // Rows come in commit order; a resumed run may have written some steps again.
        if (!rows.empty()) {
            std::stable_sort(series.points.begin(), series.points.end(),
                             [](const auto &a, const auto &b) { return a.step < b.step; });
            changed = true;
        }
    }
    if (changed)
        Q_EMIT updated(runId);
}

void PanelHost::fail(const std::string &message)
{
    // A panel polls twice a second: say it once, not at every poll.
    if (message != m_lastError)
        spdlog::warn("plugin panels: {}", message);
    m_lastError = message;
}

std::vector<std::string> PanelHost::metricNames(std::int64_t runId)
{
    return touch(runId, false).metrics;
}

std::vector<sdk::MetricPoint> PanelHost::metric(std::int64_t runId, const std::string &metric,
                                                std::int64_t afterStep)
{
    const bool known = m_runs.contains(runId) && m_runs[runId].series.contains(metric);
    Run &run = touch(runId, !known);
    Series &series = run.series[metric];
    // Steps before the last cached one asked for again: they may have been rewritten (a
    // resumed run) or deleted since, so the next read takes the series from its start.
    if (!series.points.empty() && afterStep < series.points.back().step)
        series.reread = true;
    std::vector<sdk::MetricPoint> points;
    for (const auto &point : series.points) {
        if (point.step > afterStep)
            points.push_back(point);
    }
    return points;
}

std::string PanelHost::runName(std::int64_t runId)
{
    return touch(runId, false).name;
}

} // namespace lathe::panels
