#include "panels/bridge/panel_host.h"

#include "core/track/run_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace lathe::panels {

namespace {

/// Cursors kept before they are all dropped (a long session browsing many runs).
constexpr std::size_t kMaxCursors = 4096;

} // namespace

PanelHost::PanelHost(std::filesystem::path db)
    : m_db(std::move(db))
{
}

PanelHost::~PanelHost() = default;

track::RunStore *PanelHost::store()
{
    if (!m_store) {
        auto opened = track::RunStore::open(m_db);
        if (!opened) {
            fail(opened.error().toString());
            return nullptr;
        }
        m_store = std::move(*opened);
    }
    return m_store.get();
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
    try {
        auto *runs = store();
        if (!runs)
            return {};
        auto keys = runs->metricKeys(runId);
        if (!keys) {
            fail(keys.error().toString());
            return {};
        }
        m_lastError.clear();
        return std::move(*keys);
    } catch (const std::exception &e) {
        fail(e.what());
        return {};
    }
}

std::vector<sdk::MetricPoint> PanelHost::metric(std::int64_t runId, const std::string &metric,
                                                std::int64_t afterStep)
{
    try {
        auto *runs = store();
        if (!runs)
            return {};
        if (m_cursors.size() > kMaxCursors)
            m_cursors.clear();
        Cursor &cursor = m_cursors[{runId, metric}];
        // Rows up to the cursor are all at or before its step: skip them when the caller has
        // those steps already; otherwise read the series from its start.
        if (afterStep < cursor.maxStep)
            cursor = Cursor{};
        auto rows = runs->metricSeries(runId, metric, cursor.lastId);
        if (!rows) {
            fail(rows.error().toString());
            return {};
        }
        m_lastError.clear();
        std::vector<sdk::MetricPoint> points;
        for (const auto &row : *rows) {
            cursor.lastId = std::max(cursor.lastId, row.id);
            cursor.maxStep = std::max(cursor.maxStep, row.step);
            if (row.step > afterStep)
                points.push_back({row.step, row.epoch, row.value});
        }
        // Rows come in commit order; a resumed run may have written some steps again.
        std::stable_sort(points.begin(), points.end(),
                         [](const auto &a, const auto &b) { return a.step < b.step; });
        return points;
    } catch (const std::exception &e) {
        fail(e.what());
        return {};
    }
}

std::string PanelHost::runName(std::int64_t runId)
{
    try {
        auto *runs = store();
        if (!runs)
            return {};
        auto run = runs->run(runId);
        if (!run) {
            if (run.error().code != ErrorCode::NotFound)
                fail(run.error().toString());
            return {};
        }
        m_lastError.clear();
        return run->name;
    } catch (const std::exception &e) {
        fail(e.what());
        return {};
    }
}

} // namespace lathe::panels
