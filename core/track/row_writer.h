#pragma once

#include "core/track/sqlite.h"
#include "core/track/store_types.h"

#include <nlohmann/json_fwd.hpp>

#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lathe::track::detail {

/// Writes single rows (metrics, events, artifacts, status changes, histograms) through statements
/// prepared once and reused; the caller owns the transaction. Internal to core/track.
/// Errors: NotFound for an unknown run, InvalidArgument for a malformed row (empty key or
/// kind, payload that is not JSON), Io when the database cannot be written. Not thread-safe.
class RowWriter
{
public:
    explicit RowWriter(sql::Database &db)
        : m_db(db)
    {
    }

    Result<void> write(const MetricPoint &point);
    Result<void> write(const EventRow &event);
    Result<void> write(const ArtifactRow &artifact);
    Result<void> write(const StatusChange &change);
    /// Replaces the run's config_json and its flattened params.
    Result<void> write(const ConfigChange &change);
    /// Inserts a histogram, replacing one stored for the same (run, step, name, kind).
    Result<void> write(const HistogramRow &row);
    Result<void> write(const WriteOp &op);
    /// Writes samples in multi-row INSERTs of kGroupRows (twice the rows per second of single
    /// inserts). A group the database refuses is written again row by row, so that only the
    /// refused rows fail: their errors go to `rejected`, or, when it is null, the first one is
    /// returned. Any other error is returned at once.
    Result<void> writeMetrics(std::span<const MetricPoint *const> points,
                              std::vector<Error> *rejected);
    /// Packs full blocks of the series this writer added samples to (see series_blocks.h).
    /// Call once before committing the transaction.
    Result<void> sealTouchedSeries();
    /// Inserts the flattened `config` as the run's params (the caller cleared old ones).
    Result<void> writeParams(std::int64_t runId, const nlohmann::json &config);

    /// Rows per multi-row INSERT.
    static constexpr std::size_t kGroupRows = 32;

private:
    Result<void> writeGroup(std::span<const MetricPoint *const> group,
                            std::vector<Error> *rejected);
    void noteTouched(const MetricPoint &point);
    Result<sql::Statement *> statement(sql::Statement &slot, std::string_view text);
    Result<void> run(sql::Statement &stmt, std::int64_t runId);
    Result<void> checkUpdated(std::int64_t runId);

    sql::Database &m_db;
    std::vector<std::pair<std::int64_t, std::string>> m_touched; // (run, key) of added samples
    sql::Statement m_metric;
    sql::Statement m_metricGroup;
    sql::Statement m_event;
    sql::Statement m_artifact;
    sql::Statement m_status;
    sql::Statement m_start;
    sql::Statement m_end;
    sql::Statement m_histogram;
};

/// "no run with id N" as a NotFound error naming the database file.
Error noSuchRun(const sql::Database &db, std::int64_t runId);

} // namespace lathe::track::detail
