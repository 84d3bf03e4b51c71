#pragma once

#include "core/track/sqlite.h"
#include "core/track/store_types.h"

namespace lathe::track::detail {

/// Writes single rows (metrics, events, artifacts, status changes) through statements
/// prepared once and reused; the caller owns the transaction. Internal to core/track.
/// Errors: NotFound for an unknown run, InvalidArgument for a malformed row (empty key or
/// kind, payload that is not JSON), Io when the database cannot be written. Not thread-safe.
class RowWriter
{
public:
    explicit RowWriter(sql::Database &db) : m_db(db) {}

    Result<void> write(const MetricPoint &point);
    Result<void> write(const EventRow &event);
    Result<void> write(const ArtifactRow &artifact);
    Result<void> write(const StatusChange &change);
    Result<void> write(const WriteOp &op);

private:
    Result<sql::Statement *> statement(sql::Statement &slot, std::string_view text);
    Result<void> run(sql::Statement &stmt, std::int64_t runId);
    Result<void> checkUpdated(std::int64_t runId);

    sql::Database &m_db;
    sql::Statement m_metric;
    sql::Statement m_event;
    sql::Statement m_artifact;
    sql::Statement m_status;
    sql::Statement m_start;
    sql::Statement m_end;
};

/// "no run with id N" as a NotFound error naming the database file.
Error noSuchRun(const sql::Database &db, std::int64_t runId);

} // namespace lathe::track::detail
