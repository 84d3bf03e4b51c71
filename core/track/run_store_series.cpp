// RunStore: metrics, events, artifacts and the writer's batches (runs are in run_store.cpp).
#include "core/track/run_store.h"

#include "core/track/row_writer.h"
#include "core/track/series_blocks.h"

namespace lathe::track {

namespace {

std::string_view xColumn(SeriesX x)
{
    switch (x) {
    case SeriesX::Step: return "step";
    case SeriesX::Epoch: return "epoch";
    case SeriesX::WallTime: return "wall_time";
    }
    return "step";
}

} // namespace

Result<void> RunStore::addMetrics(std::span<const MetricPoint> points)
{
    auto tx = sql::Transaction::begin(m_db);
    if (!tx)
        return std::unexpected(tx.error());
    std::vector<const MetricPoint *> pointers;
    pointers.reserve(points.size());
    for (const auto &point : points)
        pointers.push_back(&point);
    detail::RowWriter writer(m_db);
    if (auto done = writer.writeMetrics(pointers, nullptr); !done)
        return done;
    if (auto sealed = writer.sealTouchedSeries(); !sealed)
        return sealed;
    return tx->commit();
}

Result<void> RunStore::deleteMetricsAfter(std::int64_t runId, std::int64_t step)
{
    if (auto exists = checkRunExists(runId); !exists)
        return exists;
    auto tx = sql::Transaction::begin(m_db);
    if (!tx)
        return std::unexpected(tx.error());
    if (auto dropped = detail::dropBlocksAfter(m_db, runId, step); !dropped)
        return dropped;
    for (const char *table : {"metrics", "histograms"}) {
        auto stmt
            = m_db.prepare("DELETE FROM " + std::string(table) + " WHERE run_id = ? AND step > ?");
        if (!stmt)
            return std::unexpected(stmt.error());
        stmt->bind(1, runId).bind(2, step);
        if (auto done = stmt->run(); !done)
            return done;
    }
    // The kept samples of dropped blocks go back into blocks now rather than at the next write.
    auto keys = metricKeys(runId);
    if (!keys)
        return std::unexpected(keys.error());
    for (const auto &key : *keys) {
        if (auto sealed = detail::sealBlocks(m_db, runId, key); !sealed)
            return sealed;
    }
    return tx->commit();
}

Result<std::vector<MetricRow>> RunStore::metricSeries(std::int64_t runId, std::string_view key,
                                                      std::int64_t afterId)
{
    auto stmt = m_db.prepare("SELECT id, step, epoch, wall_time, value FROM metrics "
                             "WHERE run_id = ? AND key = ? AND id > ? ORDER BY id");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, key).bind(3, afterId);
    std::vector<MetricRow> rows;
    const std::string keyText(key);
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) {
        MetricRow m;
        m.runId = runId;
        m.key = keyText;
        m.id = row.int64At(0);
        m.step = row.int64At(1);
        m.epoch = row.realAt(2);
        m.wallTime = row.realAt(3);
        m.value = row.realAt(4);
        rows.push_back(std::move(m));
    });
    if (!done)
        return std::unexpected(done.error());
    return rows;
}

Result<std::vector<SeriesPoint>> RunStore::seriesXY(std::int64_t runId, std::string_view key,
                                                    SeriesX x, std::int64_t *lastId)
{
    // One snapshot, so that the blocks and the tail rows after them agree.
    auto snapshot = sql::ReadSnapshot::begin(m_db);
    if (!snapshot)
        return std::unexpected(snapshot.error());
    std::vector<SeriesPoint> points;
    auto blocked = detail::readBlocks(m_db, runId, key, x, points);
    if (!blocked)
        return std::unexpected(blocked.error());
    const std::string tail = "SELECT id, " + std::string(xColumn(x))
                             + ", value FROM metrics WHERE run_id = ? AND key = ? AND id > ? "
                               "ORDER BY id";
    auto stmt = m_db.prepare(tail);
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, key).bind(3, *blocked);
    std::int64_t last = *blocked;
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) {
        last = row.int64At(0);
        points.push_back({row.realAt(1), row.realAt(2)});
    });
    if (!done)
        return std::unexpected(done.error());
    if (lastId)
        *lastId = last;
    return points;
}

Result<std::vector<std::string>> RunStore::metricKeys(std::int64_t runId)
{
    // A loose index scan: one index seek per distinct key instead of reading every sample.
    auto stmt
        = m_db.prepare("WITH RECURSIVE k(key) AS ("
                       " SELECT (SELECT min(key) FROM metrics WHERE run_id = ?1)"
                       " UNION ALL"
                       " SELECT (SELECT min(key) FROM metrics WHERE run_id = ?1 AND key > k.key)"
                       " FROM k WHERE k.key IS NOT NULL)"
                       " SELECT key FROM k WHERE key IS NOT NULL");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId);
    std::vector<std::string> keys;
    auto done
        = sql::forEachRow(*stmt, [&](const sql::Statement &row) { keys.push_back(row.textAt(0)); });
    if (!done)
        return std::unexpected(done.error());
    return keys;
}

Result<std::optional<double>> RunStore::lastMetric(std::int64_t runId, std::string_view key)
{
    auto stmt = m_db.prepare("SELECT value FROM metrics WHERE run_id = ? AND key = ? "
                             "ORDER BY id DESC LIMIT 1");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, key);
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    if (!*row)
        return std::optional<double>();
    return std::optional<double>(stmt->realAt(0));
}

Result<std::optional<double>> RunStore::bestMetric(std::int64_t runId, std::string_view key,
                                                   bool higherIsBetter)
{
    // min()/max() skip NULLs, which is how NaN samples are stored.
    auto stmt = m_db.prepare(std::string("SELECT ") + (higherIsBetter ? "max" : "min")
                             + "(value) FROM metrics WHERE run_id = ? AND key = ?");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, key);
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    if (!*row || stmt->isNull(0))
        return std::optional<double>();
    return std::optional<double>(stmt->realAt(0));
}

Result<void> RunStore::addEvent(const EventRow &event)
{
    return detail::RowWriter(m_db).write(event);
}

Result<std::vector<EventRow>> RunStore::events(std::int64_t runId)
{
    auto stmt = m_db.prepare("SELECT id, kind, step, wall_time, payload_json FROM events "
                             "WHERE run_id = ? ORDER BY id");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId);
    std::vector<EventRow> rows;
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) {
        rows.push_back(EventRow{row.int64At(0), runId, row.textAt(1), row.int64At(2), row.realAt(3),
                                row.textAt(4)});
    });
    if (!done)
        return std::unexpected(done.error());
    return rows;
}

Result<void> RunStore::addArtifact(const ArtifactRow &artifact)
{
    return detail::RowWriter(m_db).write(artifact);
}

Result<std::vector<ArtifactRow>> RunStore::artifacts(std::int64_t runId)
{
    auto stmt = m_db.prepare("SELECT id, kind, path, bytes, sha256, created_at FROM artifacts "
                             "WHERE run_id = ? ORDER BY id");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId);
    std::vector<ArtifactRow> rows;
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) {
        rows.push_back(ArtifactRow{row.int64At(0), runId, row.textAt(1), row.textAt(2),
                                   row.int64At(3), row.textAt(4), row.realAt(5)});
    });
    if (!done)
        return std::unexpected(done.error());
    return rows;
}

Result<BatchOutcome> RunStore::applyBatch(std::span<const WriteOp> ops)
{
    auto tx = sql::Transaction::begin(m_db);
    if (!tx)
        return std::unexpected(tx.error());
    detail::RowWriter writer(m_db);
    BatchOutcome outcome;
    // Runs of consecutive samples go through the writer's multi-row INSERT.
    std::vector<const MetricPoint *> samples;
    samples.reserve(ops.size());
    const auto writeSamples = [&] {
        auto done = writer.writeMetrics(samples, &outcome.rejected);
        samples.clear();
        return done;
    };
    for (const auto &op : ops) {
        if (const auto *point = std::get_if<MetricPoint>(&op)) {
            samples.push_back(point);
            continue;
        }
        if (auto done = writeSamples(); !done)
            return std::unexpected(done.error()); // tx's destructor rolls back
        auto done = writer.write(op);
        if (!done && sql::isRowRejection(done.error()) && m_db.inTransaction())
            outcome.rejected.push_back(std::move(done.error())); // SQLite undid that row only
        else if (!done)
            return std::unexpected(done.error());
    }
    if (auto done = writeSamples(); !done)
        return std::unexpected(done.error());
    if (auto sealed = writer.sealTouchedSeries(); !sealed)
        return std::unexpected(sealed.error());
    if (auto done = tx->commit(); !done)
        return std::unexpected(done.error());
    outcome.applied = ops.size() - outcome.rejected.size();
    return outcome;
}

} // namespace lathe::track
