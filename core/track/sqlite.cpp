#include "core/track/sqlite.h"

#include "core/track/write_lock_waits.h"

#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

namespace lathe::track::sql {

namespace {

ErrorCode codeFor(int rc)
{
    // A foreign key fails when the row it names (a run) does not exist.
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return ErrorCode::NotFound;
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return ErrorCode::BadInput;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE: return ErrorCode::InvalidArgument;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL: return ErrorCode::Io;
    default: return ErrorCode::Internal;
    }
}

} // namespace

// ---- Statement -------------------------------------------------------------------------------

Statement::Statement(sqlite3_stmt *stmt, const Database *db)
    : m_stmt(stmt)
    , m_db(db)
{
}

Statement::Statement(Statement &&other) noexcept
    : m_stmt(std::exchange(other.m_stmt, nullptr))
    , m_db(other.m_db)
    , m_bindError(other.m_bindError)
{
}

Statement &Statement::operator=(Statement &&other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_stmt = std::exchange(other.m_stmt, nullptr);
        m_db = other.m_db;
        m_bindError = other.m_bindError;
    }
    return *this;
}

Statement::~Statement()
{
    sqlite3_finalize(m_stmt);
}

void Statement::noteBind(int rc)
{
    if (rc != SQLITE_OK && m_bindError == SQLITE_OK)
        m_bindError = rc;
}

Statement &Statement::bind(int index, std::int64_t value)
{
    noteBind(sqlite3_bind_int64(m_stmt, index, value));
    return *this;
}

Statement &Statement::bind(int index, double value)
{
    noteBind(sqlite3_bind_double(m_stmt, index, value));
    return *this;
}

Statement &Statement::bind(int index, std::string_view text)
{
    // SQLITE_TRANSIENT: the caller's buffer may not outlive the statement.
    noteBind(sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8));
    return *this;
}

Statement &Statement::bind(int index, std::optional<std::int64_t> value)
{
    return value ? bind(index, *value) : bindNull(index);
}

Statement &Statement::bindStatic(int index, std::string_view text)
{
    noteBind(
        sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
}

Statement &Statement::bindBlob(int index, std::span<const std::byte> bytes)
{
    noteBind(sqlite3_bind_blob64(m_stmt, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    return *this;
}

Statement &Statement::bindNull(int index)
{
    noteBind(sqlite3_bind_null(m_stmt, index));
    return *this;
}

Result<bool> Statement::step()
{
    if (m_bindError != SQLITE_OK)
        return std::unexpected(m_db->errorFor(m_bindError, "cannot bind a value"));
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    return std::unexpected(m_db->lastError("query failed"));
}

Result<void> Statement::run()
{
    Result<bool> more;
    do {
        more = step();
    } while (more && *more);
    reset();
    if (!more)
        return std::unexpected(more.error());
    return {};
}

void Statement::reset()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
    m_bindError = SQLITE_OK;
}

bool Statement::isNull(int column) const
{
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Statement::int64At(int column) const
{
    return sqlite3_column_int64(m_stmt, column);
}

double Statement::realAt(int column) const
{
    if (isNull(column))
        return std::numeric_limits<double>::quiet_NaN();
    return sqlite3_column_double(m_stmt, column);
}

std::string Statement::textAt(int column) const
{
    const auto *text = sqlite3_column_text(m_stmt, column);
    if (!text)
        return {};
    return {reinterpret_cast<const char *>(text),
            static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, column))};
}

std::optional<std::int64_t> Statement::optionalInt64At(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return int64At(column);
}

std::span<const std::byte> Statement::blobAt(int column) const
{
    const auto *data = static_cast<const std::byte *>(sqlite3_column_blob(m_stmt, column));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, column));
    return data ? std::span(data, size) : std::span<const std::byte>();
}

// ---- Database --------------------------------------------------------------------------------

Database::Database(Database &&other) noexcept
    : m_db(std::exchange(other.m_db, nullptr))
    , m_file(std::move(other.m_file))
{
}

Database &Database::operator=(Database &&other) noexcept
{
    if (this != &other) {
        sqlite3_close_v2(m_db);
        m_db = std::exchange(other.m_db, nullptr);
        m_file = std::move(other.m_file);
    }
    return *this;
}

Database::~Database()
{
    sqlite3_close_v2(m_db);
}

Result<Database> Database::open(const std::filesystem::path &file, int busyTimeoutMs, Access access)
{
    Database db;
    db.m_file = file;
    // NOMUTEX: a connection is confined to one thread at a time, so SQLite's lock is waste.
    const int flags = SQLITE_OPEN_NOMUTEX
                      | (access == Access::ReadOnly ? SQLITE_OPEN_READONLY
                                                    : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    const int rc = sqlite3_open_v2(file.c_str(), &db.m_db, flags, nullptr);
    if (rc != SQLITE_OK)
        return std::unexpected(db.errorFor(rc, "cannot open the database"));
    sqlite3_extended_result_codes(db.m_db, 1);
    sqlite3_busy_timeout(db.m_db, busyTimeoutMs);
    return db;
}

Result<void> Database::exec(std::string_view sql)
{
    const std::string text(sql);
    char *message = nullptr;
    const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc != SQLITE_OK)
        return std::unexpected(lastError("statement failed"));
    return {};
}

Result<Statement> Database::prepare(std::string_view sql)
{
    sqlite3_stmt *stmt = nullptr;
    const int rc
        = sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK)
        return std::unexpected(lastError("cannot prepare a query"));
    return Statement(stmt, this);
}

Result<std::int64_t> Database::queryInt64(std::string_view sql)
{
    auto stmt = prepare(sql);
    if (!stmt)
        return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    return *row ? stmt->int64At(0) : 0;
}

Result<std::string> Database::queryText(std::string_view sql)
{
    auto stmt = prepare(sql);
    if (!stmt)
        return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    return *row ? stmt->textAt(0) : std::string();
}

std::int64_t Database::lastInsertId() const
{
    return sqlite3_last_insert_rowid(m_db);
}

std::int64_t Database::changes() const
{
    return sqlite3_changes64(m_db);
}

bool Database::inTransaction() const
{
    return m_db && sqlite3_get_autocommit(m_db) == 0;
}

Error Database::lastError(std::string_view what) const
{
    return errorFor(m_db ? sqlite3_extended_errcode(m_db) : SQLITE_ERROR, what);
}

Error Database::errorFor(int rc, std::string_view what) const
{
    // The connection's message is only about `rc` when rc is its latest error code.
    const bool current = m_db && sqlite3_extended_errcode(m_db) == rc;
    std::string message(what);
    message += ": ";
    message += current ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
    return Error{codeFor(rc), std::move(message), m_file.string()};
}

// ---- Transaction -----------------------------------------------------------------------------

Result<Transaction> Transaction::begin(Database &db)
{
    // Timed here, where every write of the store begins, rather than in a busy handler of our
    // own: SQLite's busy timeout stays as it is, and the cost is two clock reads per transaction.
    const auto start = std::chrono::steady_clock::now();
    auto begun = db.exec("BEGIN IMMEDIATE");
    noteWriteBegin(db.file(), std::chrono::steady_clock::now() - start);
    if (!begun) {
        auto error = db.lastError("cannot start a write transaction");
        if ((sqlite3_extended_errcode(db.m_db) & 0xff) == SQLITE_BUSY)
            error.message += " (another connection kept writing past the busy timeout)";
        return std::unexpected(std::move(error));
    }
    return Transaction(db);
}

Transaction::Transaction(Transaction &&other) noexcept
    : m_db(std::exchange(other.m_db, nullptr))
{
}

Transaction::~Transaction()
{
    // SQLite may already have rolled back by itself (disk full, I/O error): check first.
    if (m_db && m_db->inTransaction())
        (void)m_db->exec("ROLLBACK");
}

Result<void> Transaction::commit()
{
    if (auto done = m_db->exec("COMMIT"); !done)
        return done;
    m_db = nullptr;
    return {};
}

// ---- ReadSnapshot ----------------------------------------------------------------------------

Result<ReadSnapshot> ReadSnapshot::begin(Database &db)
{
    if (auto begun = db.exec("BEGIN DEFERRED"); !begun)
        return std::unexpected(begun.error());
    return ReadSnapshot(db);
}

ReadSnapshot::ReadSnapshot(ReadSnapshot &&other) noexcept
    : m_db(std::exchange(other.m_db, nullptr))
{
}

ReadSnapshot::~ReadSnapshot()
{
    // Nothing was written, so COMMIT only ends the read; it cannot lose anything.
    if (m_db && m_db->inTransaction())
        (void)m_db->exec("COMMIT");
}

bool isRowRejection(const Error &error)
{
    return error.code == ErrorCode::InvalidArgument || error.code == ErrorCode::NotFound;
}

} // namespace lathe::track::sql
