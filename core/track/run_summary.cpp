#include "core/track/run_summary.h"

#include "core/track/metric_keys.h"
#include "core/track/run_rows.h"
#include "core/track/run_store.h"

#include <charconv>
#include <string_view>
#include <vector>

namespace lathe::track {

namespace {

// The columns readRunInfo expects (config_json read as ''), then the summary's extras. Each
// extra is an index seek: params by primary key, metrics by (run_id, key, id), events by run.
// The metric keys and the event kind are bound (?1-?4: track::keys, events) so that they are
// written in one place. An imported model's label stands in for the configured architecture.
constexpr std::string_view kSelectSummaries
    = "SELECT id, name, status, created_at, started_at, ended_at, '', host, torch_version, "
      "notes, error_message, seed, parent_id, "
      "(SELECT group_concat(tag, char(31)) FROM tags WHERE tags.run_id = runs.id), "
      "coalesce((SELECT json_extract(payload_json, '$.imported.label') FROM events "
      "          WHERE run_id = runs.id AND kind = ?4 LIMIT 1), "
      "         (SELECT value FROM params WHERE run_id = runs.id AND key = 'model.arch')), "
      "(SELECT value FROM params WHERE run_id = runs.id AND key = 'optimizer.name'), "
      "(SELECT value FROM params WHERE run_id = runs.id AND key = 'optimizer.lr'), "
      "(SELECT max(value) FROM metrics WHERE run_id = runs.id AND key = ?1), "
      "(SELECT value FROM metrics WHERE run_id = runs.id AND key = ?2 "
      " ORDER BY id DESC LIMIT 1), "
      "(SELECT value FROM metrics WHERE run_id = runs.id AND key = ?3 "
      " ORDER BY id DESC LIMIT 1), "
      "(SELECT value FROM params WHERE run_id = runs.id AND key = 'data.dataset'), "
      "(SELECT value FROM params WHERE run_id = runs.id AND key = 'data.path') "
      "FROM runs ORDER BY id";

// The events that start and stop training (run_timing.h), one run at a time: a seek on
// events_run and a scan of that run's few timeline rows.
constexpr std::string_view kSelectTimeline
    = "SELECT kind, wall_time FROM events WHERE run_id = ?1 AND kind IN (?2, ?3, ?4, ?5, ?6, ?7) "
      "ORDER BY id";

Result<IdleTime> readIdleTime(sql::Statement &stmt, const RunInfo &run)
{
    if (run.startedAt <= 0)
        return IdleTime{};
    stmt.bind(1, run.id);
    int parameter = 2;
    for (const auto kind : {events::kStarted, events::kPaused, events::kResumed, events::kFinished,
                            events::kFailed, events::kInterrupted})
        stmt.bindStatic(parameter++, kind);
    std::vector<EventRow> timeline;
    auto done = sql::forEachRow(stmt, [&](const sql::Statement &row) -> Result<void> {
        timeline.push_back({0, run.id, row.textAt(0), 0, row.realAt(1), {}});
        return {};
    });
    stmt.reset();
    if (!done)
        return std::unexpected(done.error());
    return idleTime(timeline, run.endedAt);
}

std::optional<double> optionalReal(const sql::Statement &row, int column)
{
    if (row.isNull(column))
        return std::nullopt;
    return row.realAt(column);
}

} // namespace

std::optional<double> parseNumber(const std::string &text)
{
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

Result<std::vector<RunSummary>> RunStore::runSummaries()
{
    auto stmt = m_db.prepare(kSelectSummaries);
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bindStatic(1, keys::kValAccuracy)
        .bindStatic(2, keys::kTestAccuracy)
        .bindStatic(3, keys::kTrainLoss)
        .bindStatic(4, events::kFineTune);
    auto timeline = m_db.prepare(kSelectTimeline);
    if (!timeline)
        return std::unexpected(timeline.error());
    std::vector<RunSummary> summaries;
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) -> Result<void> {
        auto info = detail::readRunInfo(row, m_db.file().string());
        if (!info)
            return std::unexpected(info.error());
        RunSummary summary;
        summary.run = std::move(*info);
        summary.modelArch = row.textAt(14);
        summary.optimizerName = row.textAt(15);
        summary.lr = parseNumber(row.textAt(16));
        summary.bestValAccuracy = optionalReal(row, 17);
        summary.testAccuracy = optionalReal(row, 18);
        summary.finalTrainLoss = optionalReal(row, 19);
        summary.dataset = row.textAt(20);
        summary.dataPath = row.textAt(21);
        auto idle = readIdleTime(*timeline, summary.run);
        if (!idle)
            return std::unexpected(idle.error());
        summary.idle = *idle;
        summaries.push_back(std::move(summary));
        return {};
    });
    stmt->reset();
    if (!done)
        return std::unexpected(done.error());
    return summaries;
}

} // namespace lathe::track
