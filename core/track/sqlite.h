#pragma once

#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

// A thin RAII layer over the SQLite C API: a connection, a prepared statement and a write
// transaction. Errors come back as lathe::Error whose context is the database file.
namespace lathe::track::sql {

class Database;

/// A prepared statement, finalized on destruction. Bind errors are remembered and reported
/// by the next step()/run(). Not thread-safe: use it on the thread of its Database.
class Statement
{
public:
    Statement() = default;
    Statement(Statement &&other) noexcept;
    Statement &operator=(Statement &&other) noexcept;
    ~Statement();

    Statement &bind(int index, std::int64_t value);
    Statement &bind(int index, double value);
    Statement &bind(int index, std::string_view text);
    Statement &bind(int index, std::optional<std::int64_t> value);
    Statement &bindBlob(int index, std::span<const std::byte> bytes);
    /// Binds text without copying it: `text` must stay alive until the statement is reset.
    Statement &bindStatic(int index, std::string_view text);
    Statement &bindNull(int index);

    /// Advances: true when a row is ready, false when done; an Error names the file.
    Result<bool> step();
    /// Steps to completion and resets for reuse (also after a failure).
    Result<void> run();
    /// Resets the statement and clears its bindings (releases its read snapshot).
    void reset();
    bool isPrepared() const { return m_stmt != nullptr; }

    bool isNull(int column) const;
    std::int64_t int64At(int column) const;
    /// The column as a double; SQL NULL (which is how SQLite stores NaN) reads as NaN.
    double realAt(int column) const;
    std::string textAt(int column) const;
    std::optional<std::int64_t> optionalInt64At(int column) const;
    /// The column's bytes, valid until the next step()/reset().
    std::span<const std::byte> blobAt(int column) const;

private:
    friend class Database;
    Statement(sqlite3_stmt *stmt, const Database *db);
    void noteBind(int rc);

    sqlite3_stmt *m_stmt = nullptr;
    const Database *m_db = nullptr;
    int m_bindError = 0;
};

/// One SQLite connection, closed on destruction. Not thread-safe: one object per thread
/// (it may be handed to another thread as long as only one uses it at a time).
/// The one row loop: steps through every row of `stmt`, calling `read(stmt)` for each. `read`
/// returns void, or a Result<void> whose error ends the walk. Errors: the first of step()'s
/// (naming the file) and `read`'s. Leaves the statement as step() does (reset() to reuse it).
template<typename Read>
Result<void> forEachRow(Statement &stmt, Read &&read)
{
    for (;;) {
        auto row = stmt.step();
        if (!row)
            return std::unexpected(row.error());
        if (!*row)
            return {};
        if constexpr (std::is_void_v<std::invoke_result_t<Read &, const Statement &>>) {
            read(std::as_const(stmt));
        } else if (auto ok = read(std::as_const(stmt)); !ok) {
            return ok;
        }
    }
}

/// How a connection opens its file.
enum class Access {
    ReadWrite, ///< creates the file when missing
    ReadOnly,  ///< never creates or writes; every write statement fails
};

class Database
{
public:
    Database() = default;
    Database(Database &&other) noexcept;
    Database &operator=(Database &&other) noexcept;
    ~Database();

    /// Opens `file` with the given busy timeout: read-write (creating it if missing) or
    /// read-only. Io on failure (NotFound for a missing file opened read-only).
    static Result<Database> open(const std::filesystem::path &file, int busyTimeoutMs,
                                 Access access = Access::ReadWrite);

    /// Runs one or more SQL statements that return no rows we need.
    Result<void> exec(std::string_view sql);
    /// Prepares one statement.
    Result<Statement> prepare(std::string_view sql);
    /// First column of the first row of `sql` as an integer (for pragmas and counts).
    Result<std::int64_t> queryInt64(std::string_view sql);
    /// First column of the first row of `sql` as text.
    Result<std::string> queryText(std::string_view sql);

    std::int64_t lastInsertId() const;
    /// Rows changed by the last INSERT/UPDATE/DELETE.
    std::int64_t changes() const;
    bool inTransaction() const;
    const std::filesystem::path &file() const { return m_file; }

    /// An Error for the connection's last failure: "<what>: <sqlite message>", code mapped from
    /// SQLite's (not a db/corrupt: BadInput, constraint: InvalidArgument, busy/full/io: Io).
    Error lastError(std::string_view what) const;
    /// The same mapping for a given result code.
    Error errorFor(int rc, std::string_view what) const;

private:
    friend class Transaction;
    sqlite3 *m_db = nullptr;
    std::filesystem::path m_file;
};

/// RAII write transaction (BEGIN IMMEDIATE); rolled back on destruction unless committed.
/// Not thread-safe; at most one per connection at a time.
class Transaction
{
public:
    /// Begins; waits up to the busy timeout for another writer, then fails with Io.
    static Result<Transaction> begin(Database &db);
    Transaction(Transaction &&other) noexcept;
    Transaction &operator=(Transaction &&) = delete;
    ~Transaction();

    /// Commits; on failure the transaction is rolled back by the destructor.
    Result<void> commit();

private:
    explicit Transaction(Database &db)
        : m_db(&db)
    {
    }
    Database *m_db = nullptr;
};

/// RAII read snapshot (BEGIN DEFERRED ... COMMIT): the queries made while it lives see one
/// committed state of the database. Not thread-safe; not nestable in a write transaction.
class ReadSnapshot
{
public:
    static Result<ReadSnapshot> begin(Database &db);
    ReadSnapshot(ReadSnapshot &&other) noexcept;
    ReadSnapshot &operator=(ReadSnapshot &&) = delete;
    ~ReadSnapshot();

private:
    explicit ReadSnapshot(Database &db)
        : m_db(&db)
    {
    }
    Database *m_db = nullptr;
};

/// True when `error` came from a row the database refuses (unknown run, bad value) rather
/// than from the database being unwritable: retrying the same row cannot succeed.
bool isRowRejection(const Error &error);

} // namespace lathe::track::sql
