#include "core/track/schema.h"

#include <spdlog/spdlog.h>

#include <system_error>

namespace lathe::track::schema {

namespace {

Result<void> ensureParent(const std::filesystem::path &file)
{
    const auto parent = file.parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::exists(parent, ec))
        std::filesystem::create_directories(parent, ec);
    if (ec) {
        return fail(ErrorCode::Io, "cannot create the database folder: " + ec.message(),
                    parent.string());
    }
    return {};
}

Result<int> readVersion(sql::Database &db)
{
    auto version = db.queryInt64("PRAGMA user_version");
    if (!version && version.error().code == ErrorCode::BadInput) {
        return fail(ErrorCode::BadInput,
                    "not a Lathe database (SQLite cannot read it: " + version.error().message + ")",
                    db.file().string());
    }
    if (!version)
        return std::unexpected(version.error());
    return static_cast<int>(*version);
}

// Refuses a SQLite file that has tables but was never stamped by Lathe: migrating it would
// mix our tables into someone else's database.
Result<void> checkIsOurs(sql::Database &db, int version)
{
    if (version != 0)
        return {};
    auto tables = db.queryInt64("SELECT count(*) FROM sqlite_master");
    if (!tables)
        return std::unexpected(tables.error());
    if (*tables > 0) {
        return fail(ErrorCode::BadInput,
                    "not a Lathe database: it is a SQLite file with other tables and no Lathe "
                    "schema version",
                    db.file().string());
    }
    return {};
}

Result<void> configure(sql::Database &db)
{
    auto mode = db.queryText("PRAGMA journal_mode=WAL");
    if (!mode)
        return std::unexpected(mode.error());
    if (*mode != "wal") {
        spdlog::warn("{}: WAL mode unavailable (journal mode is {}); live readers may block the "
                     "writer",
                     db.file().string(), *mode);
    }
    // In WAL, NORMAL loses no data on a process crash; only a power cut can lose the last
    // commits, which is fine for metrics and saves an fsync per transaction.
    return db.exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON");
}

Result<void> applyStep(sql::Database &db, int fromVersion, std::string_view step)
{
    auto tx = sql::Transaction::begin(db);
    if (!tx)
        return std::unexpected(tx.error());
    // Another process may have migrated while we waited for the write lock.
    auto current = readVersion(db);
    if (!current)
        return std::unexpected(current.error());
    if (*current > fromVersion)
        return {};
    if (auto done = db.exec(step); !done) {
        return fail(done.error().code,
                    "schema migration " + std::to_string(fromVersion + 1)
                        + " failed: " + done.error().message,
                    db.file().string());
    }
    if (auto done = db.exec("PRAGMA user_version = " + std::to_string(fromVersion + 1)); !done)
        return done;
    return tx->commit();
}

} // namespace

Result<sql::Database> openDatabase(const std::filesystem::path &file,
                                   std::span<const std::string_view> steps)
{
    if (auto made = ensureParent(file); !made)
        return std::unexpected(made.error());
    auto db = sql::Database::open(file, kBusyTimeoutMs);
    if (!db)
        return db;
    // Read the version before anything writes: a too-new file must stay byte-for-byte as is.
    auto version = readVersion(*db);
    if (!version)
        return std::unexpected(version.error());
    const int latest = static_cast<int>(steps.size());
    if (*version > latest) {
        return fail(ErrorCode::SchemaTooNew,
                    "the database has schema version " + std::to_string(*version)
                        + " but this build of Lathe supports up to version "
                        + std::to_string(latest) + "; open it with a newer Lathe",
                    file.string());
    }
    if (auto ours = checkIsOurs(*db, *version); !ours)
        return std::unexpected(ours.error());
    if (auto done = configure(*db); !done)
        return std::unexpected(done.error());
    for (int from = *version; from < latest; ++from) {
        if (auto done = applyStep(*db, from, steps[static_cast<std::size_t>(from)]); !done)
            return std::unexpected(done.error());
    }
    return db;
}

Result<sql::Database> openDatabaseReadOnly(const std::filesystem::path &file)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        return fail(ErrorCode::NotFound, "no database file here", file.string());
    auto db = sql::Database::open(file, kBusyTimeoutMs, sql::Access::ReadOnly);
    if (!db)
        return db;
    auto version = readVersion(*db);
    if (!version)
        return std::unexpected(version.error());
    if (auto ours = checkIsOurs(*db, *version); !ours)
        return std::unexpected(ours.error());
    if (auto done = db->exec("PRAGMA query_only = 1"); !done)
        return std::unexpected(done.error());
    return db;
}

Result<ReadingConnection> openDatabaseForReading(const std::filesystem::path &file)
{
    auto db = openDatabase(file);
    if (db)
        return ReadingConnection{std::move(*db), {}};
    if (db.error().code != ErrorCode::SchemaTooNew)
        return std::unexpected(db.error());
    auto readOnly = openDatabaseReadOnly(file);
    if (!readOnly)
        return std::unexpected(readOnly.error());
    return ReadingConnection{std::move(*readOnly), db.error().message};
}

} // namespace lathe::track::schema
