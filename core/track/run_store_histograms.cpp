// RunStore: histograms recorded during training (the rest is in run_store.cpp and
// run_store_series.cpp).
#include "core/track/run_store.h"

#include "core/track/histogram_blob.h"
#include "core/track/row_writer.h"

namespace lathe::track {

Result<void> RunStore::addHistograms(std::span<const HistogramRow> rows)
{
    auto tx = sql::Transaction::begin(m_db);
    if (!tx)
        return std::unexpected(tx.error());
    detail::RowWriter writer(m_db);
    for (const auto &row : rows) {
        if (auto done = writer.write(row); !done)
            return done; // tx's destructor rolls back
    }
    return tx->commit();
}

Result<std::vector<HistogramKey>> RunStore::histogramKeys(std::int64_t runId)
{
    auto stmt = m_db.prepare("SELECT name, kind FROM histograms WHERE run_id = ? "
                             "GROUP BY name, kind ORDER BY min(id)");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId);
    std::vector<HistogramKey> keys;
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) {
        // A kind this build does not know (written by a newer Lathe) is not listed.
        if (const auto kind = parseHistogramKind(row.textAt(1)))
            keys.push_back({row.textAt(0), *kind});
    });
    if (!done)
        return std::unexpected(done.error());
    return keys;
}

Result<std::vector<HistogramSample>>
RunStore::histogramSeries(std::int64_t runId, const HistogramKey &key, std::int64_t afterStep)
{
    auto stmt = m_db.prepare("SELECT step, min, max, counts FROM histograms "
                             "WHERE run_id = ? AND name = ? AND kind = ? AND step > ? "
                             "ORDER BY step");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId)
        .bind(2, std::string_view(key.name))
        .bind(3, toString(key.kind))
        .bind(4, afterStep);
    std::vector<HistogramSample> samples;
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) -> Result<void> {
        auto counts = decodeHistogramCounts(row.blobAt(3));
        if (!counts) {
            return fail(ErrorCode::BadInput,
                        "histogram '" + key.name + "' of run " + std::to_string(runId) + " at step "
                            + std::to_string(row.int64At(0)) + " has corrupt counts",
                        m_db.file().string());
        }
        samples.push_back({row.int64At(0), row.realAt(1), row.realAt(2), std::move(*counts)});
        return {};
    });
    if (!done)
        return std::unexpected(done.error());
    return samples;
}

} // namespace lathe::track
