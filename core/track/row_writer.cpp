#include "core/track/row_writer.h"

#include "core/util/clock.h"
#include "core/track/flatten_json.h"
#include "core/track/histogram_blob.h"
#include "core/track/process_identity.h"
#include "core/track/series_blocks.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace lathe::track::detail {

namespace {

constexpr std::string_view kInsertMetric
    = "INSERT INTO metrics (run_id, key, step, epoch, wall_time, value) VALUES (?, ?, ?, ?, ?, ?)";
constexpr std::string_view kInsertEvent
    = "INSERT INTO events (run_id, kind, step, wall_time, payload_json) VALUES (?, ?, ?, ?, ?)";
constexpr std::string_view kInsertArtifact
    = "INSERT INTO artifacts (run_id, kind, path, bytes, sha256, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)";
constexpr std::string_view kSetStatus
    = "UPDATE runs SET status = ?2, error_message = ?3 WHERE id = ?1";
// Going Running makes this process the owner and clears the end of an earlier attempt.
constexpr std::string_view kStartRun
    = "UPDATE runs SET status = ?2, error_message = ?3, started_at = COALESCE(started_at, ?4), "
      "ended_at = NULL, host = ?5, pid = ?6, pid_start = ?7 WHERE id = ?1";
constexpr std::string_view kEndRun
    = "UPDATE runs SET status = ?2, error_message = ?3, ended_at = ?4 WHERE id = ?1";

constexpr std::string_view kInsertHistogram
    = "INSERT OR REPLACE INTO histograms (run_id, name, kind, step, min, max, counts) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)";

constexpr int kMetricColumns = 6;

// INSERT of RowWriter::kGroupRows samples at once.
const std::string &groupInsertSql()
{
    static const std::string sql = [] {
        std::string text(kInsertMetric);
        for (std::size_t i = 1; i < RowWriter::kGroupRows; ++i)
            text += ", (?, ?, ?, ?, ?, ?)";
        return text;
    }();
    return sql;
}

// Binds one sample at parameters base+1 .. base+6. The hot path: the sample outlives the
// statement's step, so its key is not copied.
void bindMetric(sql::Statement &stmt, int base, const MetricPoint &point)
{
    stmt.bind(base + 1, point.runId)
        .bindStatic(base + 2, point.key)
        .bind(base + 3, point.step)
        .bind(base + 4, point.epoch)
        .bind(base + 5, point.wallTime)
        .bind(base + 6, point.value);
}

Error invalid(const sql::Database &db, std::string message)
{
    return Error{ErrorCode::InvalidArgument, std::move(message), db.file().string()};
}

} // namespace

Error noSuchRun(const sql::Database &db, std::int64_t runId)
{
    return Error{ErrorCode::NotFound, "no run with id " + std::to_string(runId),
                 db.file().string()};
}

Result<sql::Statement *> RowWriter::statement(sql::Statement &slot, std::string_view text)
{
    if (!slot.isPrepared()) {
        auto prepared = m_db.prepare(text);
        if (!prepared)
            return std::unexpected(prepared.error());
        slot = std::move(*prepared);
    }
    return &slot;
}

Result<void> RowWriter::run(sql::Statement &stmt, std::int64_t runId)
{
    auto done = stmt.run();
    if (!done && done.error().code == ErrorCode::NotFound)
        return std::unexpected(noSuchRun(m_db, runId));
    return done;
}

Result<void> RowWriter::checkUpdated(std::int64_t runId)
{
    if (m_db.changes() == 0)
        return std::unexpected(noSuchRun(m_db, runId));
    return {};
}

Result<void> RowWriter::write(const MetricPoint &point)
{
    if (point.key.empty())
        return std::unexpected(invalid(m_db, "a metric needs a key"));
    auto stmt = statement(m_metric, kInsertMetric);
    if (!stmt)
        return std::unexpected(stmt.error());
    bindMetric(**stmt, 0, point);
    if (auto done = run(**stmt, point.runId); !done)
        return done;
    noteTouched(point);
    return {};
}

void RowWriter::noteTouched(const MetricPoint &point)
{
    const auto same
        = [&](const auto &seen) { return seen.first == point.runId && seen.second == point.key; };
    // A batch holds few series, and mostly the same one as the previous sample.
    const bool seen = (!m_touched.empty() && same(m_touched.back()))
                      || std::any_of(m_touched.begin(), m_touched.end(), same);
    if (!seen)
        m_touched.emplace_back(point.runId, point.key);
}

Result<void> RowWriter::writeMetrics(std::span<const MetricPoint *const> points,
                                     std::vector<Error> *rejected)
{
    while (!points.empty()) {
        const auto count = std::min(points.size(), kGroupRows);
        if (auto done = writeGroup(points.first(count), rejected); !done)
            return done;
        points = points.subspan(count);
    }
    return {};
}

Result<void> RowWriter::writeGroup(std::span<const MetricPoint *const> group,
                                   std::vector<Error> *rejected)
{
    const bool keyed = std::none_of(group.begin(), group.end(),
                                    [](const MetricPoint *p) { return p->key.empty(); });
    if (group.size() == kGroupRows && keyed) {
        auto stmt = statement(m_metricGroup, groupInsertSql());
        if (!stmt)
            return std::unexpected(stmt.error());
        for (std::size_t i = 0; i < group.size(); ++i)
            bindMetric(**stmt, int(i) * kMetricColumns, *group[i]);
        auto done = (*stmt)->run();
        const bool refused = !done && sql::isRowRejection(done.error()) && m_db.inTransaction();
        if (!done && !refused)
            return done;
        if (done) {
            for (const auto *point : group)
                noteTouched(*point);
            return {};
        }
    }
    // A short or refused group: row by row, so only the refused rows fail.
    for (const auto *point : group) {
        auto done = write(*point);
        if (done)
            continue;
        if (!rejected || !sql::isRowRejection(done.error()) || !m_db.inTransaction())
            return done;
        rejected->push_back(std::move(done.error()));
    }
    return {};
}

Result<void> RowWriter::sealTouchedSeries()
{
    for (const auto &[runId, key] : m_touched) {
        if (auto sealed = sealBlocks(m_db, runId, key); !sealed)
            return sealed;
    }
    m_touched.clear();
    return {};
}

Result<void> RowWriter::write(const EventRow &event)
{
    if (event.kind.empty())
        return std::unexpected(invalid(m_db, "an event needs a kind"));
    const std::string_view payload
        = event.payloadJson.empty() ? std::string_view("{}") : std::string_view(event.payloadJson);
    if (!nlohmann::json::accept(payload)) {
        return std::unexpected(
            invalid(m_db, "the payload of event '" + event.kind + "' is not valid JSON"));
    }
    auto stmt = statement(m_event, kInsertEvent);
    if (!stmt)
        return std::unexpected(stmt.error());
    (*stmt)
        ->bind(1, event.runId)
        .bind(2, std::string_view(event.kind))
        .bind(3, event.step)
        .bind(4, event.wallTime != 0 ? event.wallTime : util::unixNow())
        .bind(5, payload);
    return run(**stmt, event.runId);
}

Result<void> RowWriter::write(const ArtifactRow &artifact)
{
    if (artifact.kind.empty() || artifact.path.empty())
        return std::unexpected(invalid(m_db, "an artifact needs a kind and a path"));
    auto stmt = statement(m_artifact, kInsertArtifact);
    if (!stmt)
        return std::unexpected(stmt.error());
    (*stmt)
        ->bind(1, artifact.runId)
        .bind(2, std::string_view(artifact.kind))
        .bind(3, std::string_view(artifact.path))
        .bind(4, artifact.bytes)
        .bind(5, std::string_view(artifact.sha256))
        .bind(6, artifact.createdAt != 0 ? artifact.createdAt : util::unixNow());
    return run(**stmt, artifact.runId);
}

Result<void> RowWriter::write(const StatusChange &change)
{
    const bool starting = change.status == RunStatus::Running;
    const bool ending = isTerminal(change.status);
    auto &slot = starting ? m_start : ending ? m_end : m_status;
    auto stmt = statement(slot, starting ? kStartRun : ending ? kEndRun : kSetStatus);
    if (!stmt)
        return std::unexpected(stmt.error());
    (*stmt)
        ->bind(1, change.runId)
        .bind(2, toString(change.status))
        .bind(3, std::string_view(change.errorMessage));
    if (starting || ending)
        (*stmt)->bind(4, util::unixNow());
    if (starting) {
        const auto self = currentProcess();
        (*stmt)->bind(5, std::string_view(self.host)).bind(6, self.pid).bind(7, self.startTime);
    }
    if (auto done = run(**stmt, change.runId); !done)
        return done;
    return checkUpdated(change.runId);
}

Result<void> RowWriter::writeParams(std::int64_t runId, const nlohmann::json &config)
{
    auto stmt = m_db.prepare("INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)");
    if (!stmt)
        return std::unexpected(stmt.error());
    for (const auto &[key, value] : flattenJson(config)) {
        stmt->bind(1, runId).bind(2, std::string_view(key)).bind(3, std::string_view(value));
        if (auto done = stmt->run(); !done)
            return done;
    }
    return {};
}

Result<void> RowWriter::write(const ConfigChange &change)
{
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(change.configJson);
    } catch (const nlohmann::json::exception &e) {
        return std::unexpected(
            invalid(m_db, std::string("the new run config is not valid JSON: ") + e.what()));
    }
    if (!config.is_object())
        return std::unexpected(invalid(m_db, "a run config must be a JSON object"));
    auto update = m_db.prepare("UPDATE runs SET config_json = ?2 WHERE id = ?1");
    if (!update)
        return std::unexpected(update.error());
    update->bind(1, change.runId).bind(2, std::string_view(change.configJson));
    if (auto done = run(*update, change.runId); !done)
        return done;
    if (auto done = checkUpdated(change.runId); !done)
        return done;
    auto clear = m_db.prepare("DELETE FROM params WHERE run_id = ?");
    if (!clear)
        return std::unexpected(clear.error());
    clear->bind(1, change.runId);
    if (auto done = clear->run(); !done)
        return done;
    return writeParams(change.runId, config);
}

Result<void> RowWriter::write(const HistogramRow &row)
{
    if (row.name.empty() || row.counts.empty())
        return std::unexpected(invalid(m_db, "a histogram needs a tensor name and bins"));
    if (!std::isfinite(row.min) || !std::isfinite(row.max) || row.min > row.max) {
        return std::unexpected(
            invalid(m_db, "histogram '" + row.name + "' has an invalid range"));
    }
    auto stmt = statement(m_histogram, kInsertHistogram);
    if (!stmt)
        return std::unexpected(stmt.error());
    const auto blob = encodeHistogramCounts(row.counts);
    (*stmt)
        ->bind(1, row.runId)
        .bind(2, std::string_view(row.name))
        .bind(3, toString(row.kind))
        .bind(4, row.step)
        .bind(5, row.min)
        .bind(6, row.max)
        .bindBlob(7, blob);
    return run(**stmt, row.runId);
}

Result<void> RowWriter::write(const WriteOp &op)
{
    return std::visit([this](const auto &row) { return write(row); }, op);
}

} // namespace lathe::track::detail
