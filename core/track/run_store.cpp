#include "core/track/run_store.h"

#include "core/util/clock.h"
#include "core/track/process_identity.h"
#include "core/track/row_writer.h"
#include "core/track/run_rows.h"
#include "core/track/run_timing.h"
#include "core/track/schema.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <cmath>
#include <map>

namespace lathe::track {

namespace {

constexpr std::array<std::string_view, 6> kSortKeys{"id",         "name",       "status",
                                                    "created_at", "started_at", "ended_at"};

Result<std::vector<RunInfo>> readRuns(sql::Statement &stmt, const std::string &file)
{
    std::vector<RunInfo> runs;
    auto done = sql::forEachRow(stmt, [&](const sql::Statement &row) -> Result<void> {
        auto info = detail::readRunInfo(row, file);
        if (!info)
            return std::unexpected(info.error());
        runs.push_back(std::move(*info));
        return {};
    });
    if (!done)
        return std::unexpected(done.error());
    return runs;
}

// Escapes LIKE's wildcards so that the user's text is matched literally.
std::string likePattern(std::string_view text)
{
    std::string pattern = "%";
    for (const char c : text) {
        if (c == '%' || c == '_' || c == '\\')
            pattern += '\\';
        pattern += c;
    }
    return pattern + "%";
}

Result<std::string> listSql(const RunQuery &query)
{
    if (std::find(kSortKeys.begin(), kSortKeys.end(), query.sortKey) == kSortKeys.end()) {
        return fail(ErrorCode::InvalidArgument,
                    "unknown sort key '" + query.sortKey
                        + "' (expected id, name, status, created_at, started_at or ended_at)");
    }
    const std::string order = query.descending ? " DESC" : " ASC";
    const std::string collate = query.sortKey == "name" ? " COLLATE NOCASE" : "";
    std::string sql(detail::kSelectRun);
    sql += "WHERE (?1 = '' OR name LIKE ?2 ESCAPE '\\' OR notes LIKE ?2 ESCAPE '\\' OR EXISTS "
           "(SELECT 1 FROM tags t WHERE t.run_id = runs.id AND t.tag LIKE ?2 ESCAPE '\\')) "
           "AND (?3 IS NULL OR status = ?3) ORDER BY ";
    sql += query.sortKey + collate + order + ", id" + order;
    if (query.limit > 0)
        sql += " LIMIT " + std::to_string(query.limit);
    return sql;
}

std::optional<std::int64_t> parseId(std::string_view text)
{
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return id;
}

Result<nlohmann::json> parseConfig(const std::string &configJson)
{
    if (configJson.empty())
        return nlohmann::json::object();
    try {
        return nlohmann::json::parse(configJson);
    } catch (const nlohmann::json::exception &e) {
        return fail(ErrorCode::InvalidArgument,
                    std::string("the run config is not valid JSON: ") + e.what());
    }
}

// The id of the run other than `except` named `name`; 0 when there is none.
Result<std::int64_t> runNamed(sql::Database &db, std::string_view name, std::int64_t except = 0)
{
    auto stmt = db.prepare("SELECT id FROM runs WHERE name = ?1 AND id != ?2 LIMIT 1");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, name).bind(2, except);
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    return *row ? stmt->int64At(0) : 0;
}

// `name` when no run has it, else the first free of name-2, name-3, ...: names stay unique,
// so a name finds one run (a second "Fine-tune from here" gets "<name>-2").
Result<std::string> freeName(sql::Database &db, const std::string &name)
{
    std::string candidate = name;
    for (int suffix = 2;; ++suffix) {
        auto taken = runNamed(db, candidate);
        if (!taken)
            return std::unexpected(taken.error());
        if (*taken == 0)
            return candidate;
        candidate = name + "-" + std::to_string(suffix);
    }
}

} // namespace

RunStore::RunStore(sql::Database db)
    : m_db(std::move(db))
{
}

RunStore::~RunStore() = default;

namespace {

thread_local std::uint64_t tOpens = 0;

} // namespace

Result<std::unique_ptr<RunStore>> RunStore::open(const std::filesystem::path &db)
{
    ++tOpens;
    auto database = schema::openDatabase(db);
    if (!database)
        return std::unexpected(database.error());
    std::unique_ptr<RunStore> store(new RunStore(std::move(*database)));
    if (auto marked = store->markInterruptedRuns(); !marked)
        return std::unexpected(marked.error());
    return store;
}

Result<std::unique_ptr<RunStore>> RunStore::openForReading(const std::filesystem::path &db)
{
    ++tOpens;
    auto connection = schema::openDatabaseForReading(db);
    if (!connection)
        return std::unexpected(connection.error());
    std::unique_ptr<RunStore> store(new RunStore(std::move(connection->db)));
    store->m_readOnlyReason = std::move(connection->readOnlyReason);
    if (store->m_readOnlyReason.empty())
        if (auto marked = store->markInterruptedRuns(); !marked)
            return std::unexpected(marked.error());
    return store;
}

int RunStore::latestSchemaVersion()
{
    return schema::kLatestVersion;
}

std::uint64_t RunStore::opensOnThisThread()
{
    return tOpens;
}

const std::filesystem::path &RunStore::path() const
{
    return m_db.file();
}

Result<void> RunStore::markInterruptedRuns()
{
    auto stmt = m_db.prepare("SELECT id, host, pid, pid_start FROM runs "
                             "WHERE status IN ('running', 'paused')");
    if (!stmt)
        return std::unexpected(stmt.error());
    std::vector<std::pair<std::int64_t, ProcessIdentity>> dead;
    const auto self = currentProcess();
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) {
        ProcessIdentity owner{row.textAt(1), row.int64At(2), row.int64At(3)};
        // Another host's runs are alive as far as we can tell: leave them to that host.
        if (owner.host == self.host && !isAliveHere(owner))
            dead.emplace_back(row.int64At(0), std::move(owner));
    });
    if (!done)
        return std::unexpected(done.error());
    stmt->reset();
    for (const auto &[id, owner] : dead) {
        const auto who = owner.host + " pid " + std::to_string(owner.pid);
        if (auto marked = markInterrupted(id, who); !marked)
            return marked;
    }
    return {};
}

Result<void> RunStore::markInterrupted(std::int64_t runId, const std::string &owner)
{
    auto tx = sql::Transaction::begin(m_db);
    if (!tx)
        return std::unexpected(tx.error());
    // The run ended when it last wrote, not when we noticed: take its last sample's time (its
    // start, or now, when it wrote none).
    auto last = m_db.prepare("SELECT max(wall_time), max(step), "
                             "(SELECT started_at FROM runs WHERE id = ?1) "
                             "FROM metrics WHERE run_id = ?1");
    if (!last)
        return std::unexpected(last.error());
    last->bind(1, runId);
    if (auto row = last->step(); !row)
        return std::unexpected(row.error());
    const double lastTime = last->realAt(0);
    const std::int64_t lastStep = last->int64At(1);
    const double startedAt = last->realAt(2);
    last->reset();
    const double endedAt
        = !std::isnan(lastTime) ? lastTime : (startedAt > 0 ? startedAt : util::unixNow());
    // Re-check under the write lock: another process may have handled the run meanwhile.
    auto stmt = m_db.prepare("UPDATE runs SET status = 'interrupted', ended_at = ?2 "
                             "WHERE id = ?1 AND status IN ('running', 'paused')");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, endedAt);
    if (auto done = stmt->run(); !done)
        return done;
    if (m_db.changes() == 0)
        return {};
    // Dated when the run stopped, so the time until a resume counts as idle (run_timing.h).
    const nlohmann::json payload
        = {{"reason", "owner process is gone"}, {"owner", owner}, {"noticed_at", util::unixNow()}};
    if (auto added = detail::RowWriter(m_db).write(EventRow{
            0, runId, std::string(events::kInterrupted), lastStep, endedAt, payload.dump()});
        !added)
        return added;
    spdlog::info("{}: run {} was left running by {}, which is gone: marked interrupted",
                 m_db.file().string(), runId, owner);
    return tx->commit();
}

Result<std::int64_t> RunStore::createRun(const NewRun &run)
{
    if (run.name.empty())
        return fail(ErrorCode::InvalidArgument, "a run needs a name", m_db.file().string());
    auto config = parseConfig(run.configJson);
    if (!config)
        return fail(config.error().code, config.error().message, m_db.file().string());
    auto tx = sql::Transaction::begin(m_db);
    if (!tx)
        return std::unexpected(tx.error());
    auto name = freeName(m_db, run.name);
    if (!name)
        return std::unexpected(name.error());
    auto insert = m_db.prepare(detail::kInsertRun);
    if (!insert)
        return std::unexpected(insert.error());
    // Stored as given (formatting and key order are the caller's); params are flattened.
    const std::string_view text
        = run.configJson.empty() ? std::string_view("{}") : std::string_view(run.configJson);
    NewRun named = run;
    named.name = std::move(*name);
    detail::bindNewRun(*insert, named, text, util::unixNow());
    if (auto done = insert->run(); !done) {
        if (done.error().code == ErrorCode::NotFound && run.parentId)
            return std::unexpected(detail::noSuchRun(m_db, *run.parentId));
        return std::unexpected(done.error());
    }
    const std::int64_t id = m_db.lastInsertId();
    if (auto written = detail::RowWriter(m_db).writeParams(id, *config); !written)
        return std::unexpected(written.error());
    if (auto done = tx->commit(); !done)
        return std::unexpected(done.error());
    return id;
}

Result<RunInfo> RunStore::run(std::int64_t id)
{
    auto stmt = m_db.prepare(std::string(detail::kSelectRun) + "WHERE id = ?");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, id);
    auto runs = readRuns(*stmt, m_db.file().string());
    if (!runs)
        return std::unexpected(runs.error());
    if (runs->empty())
        return std::unexpected(detail::noSuchRun(m_db, id));
    return std::move(runs->front());
}

Result<RunInfo> RunStore::findRun(std::string_view idOrName)
{
    if (const auto id = parseId(idOrName)) {
        auto byId = run(*id);
        if (byId || byId.error().code != ErrorCode::NotFound)
            return byId;
    }
    auto stmt = m_db.prepare(std::string(detail::kSelectRun)
                             + "WHERE name = ? ORDER BY created_at DESC, id DESC LIMIT 1");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, idOrName);
    auto runs = readRuns(*stmt, m_db.file().string());
    if (!runs)
        return std::unexpected(runs.error());
    if (runs->empty()) {
        return fail(ErrorCode::NotFound, "no run with id or name '" + std::string(idOrName) + "'",
                    m_db.file().string());
    }
    return std::move(runs->front());
}

Result<std::vector<RunInfo>> RunStore::listRuns(const RunQuery &query)
{
    auto sql = listSql(query);
    if (!sql)
        return fail(sql.error().code, sql.error().message, m_db.file().string());
    auto stmt = m_db.prepare(*sql);
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, std::string_view(query.text)).bind(2, likePattern(query.text));
    if (query.status)
        stmt->bind(3, toString(*query.status));
    return readRuns(*stmt, m_db.file().string());
}

Result<void> RunStore::setStatus(std::int64_t runId, RunStatus status, std::string errorMessage)
{
    return detail::RowWriter(m_db).write(StatusChange{runId, status, std::move(errorMessage)});
}

Result<void> RunStore::setConfig(std::int64_t runId, std::string configJson)
{
    auto tx = sql::Transaction::begin(m_db);
    if (!tx)
        return std::unexpected(tx.error());
    if (auto done = detail::RowWriter(m_db).write(ConfigChange{runId, std::move(configJson)});
        !done)
        return done;
    return tx->commit();
}

Result<void> RunStore::setTimes(std::int64_t runId, double startedAt, double endedAt)
{
    auto stmt
        = m_db.prepare("UPDATE runs SET created_at = CASE WHEN ?2 > 0 THEN ?2 ELSE created_at END, "
                       "started_at = CASE WHEN ?2 > 0 THEN ?2 ELSE started_at END, "
                       "ended_at = CASE WHEN ?3 > 0 THEN ?3 ELSE ended_at END WHERE id = ?1");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, startedAt).bind(3, endedAt);
    if (auto done = stmt->run(); !done)
        return done;
    if (m_db.changes() == 0)
        return checkRunExists(runId);
    return {};
}

Result<void> RunStore::checkRunExists(std::int64_t runId)
{
    auto stmt = m_db.prepare("SELECT 1 FROM runs WHERE id = ?");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId);
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    if (!*row)
        return std::unexpected(detail::noSuchRun(m_db, runId));
    return {};
}

Result<void> RunStore::updateRun(std::string_view sql, std::int64_t runId, std::string_view text)
{
    auto stmt = m_db.prepare(sql);
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId).bind(2, text);
    if (auto done = stmt->run(); !done)
        return done;
    if (m_db.changes() == 0)
        return checkRunExists(runId);
    return {};
}

Result<void> RunStore::rename(std::int64_t runId, std::string_view name)
{
    if (name.empty())
        return fail(ErrorCode::InvalidArgument, "a run needs a name", m_db.file().string());
    auto other = runNamed(m_db, name, runId);
    if (!other)
        return std::unexpected(other.error());
    if (*other != 0) {
        return fail(ErrorCode::InvalidArgument,
                    "run " + std::to_string(*other) + " is already named '" + std::string(name)
                        + "'; names are unique",
                    m_db.file().string());
    }
    return updateRun("UPDATE runs SET name = ?2 WHERE id = ?1", runId, name);
}

Result<void> RunStore::setNotes(std::int64_t runId, std::string_view notes)
{
    return updateRun("UPDATE runs SET notes = ?2 WHERE id = ?1", runId, notes);
}

Result<void> RunStore::addTag(std::int64_t runId, std::string_view tag)
{
    const bool control = std::any_of(tag.begin(), tag.end(),
                                     [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    if (tag.empty() || control) {
        return fail(ErrorCode::InvalidArgument,
                    "a tag must be non-empty text without control characters",
                    m_db.file().string());
    }
    if (auto exists = checkRunExists(runId); !exists)
        return exists;
    // A tag already there changes nothing, which updateRun takes as success once the run exists.
    return updateRun("INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?1, ?2)", runId, tag);
}

Result<void> RunStore::removeTag(std::int64_t runId, std::string_view tag)
{
    return updateRun("DELETE FROM tags WHERE run_id = ?1 AND tag = ?2", runId, tag);
}

Result<void> RunStore::deleteRun(std::int64_t runId)
{
    // Foreign keys cascade to the run's rows and unset children's parent_id, atomically.
    auto stmt = m_db.prepare("DELETE FROM runs WHERE id = ?");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId);
    if (auto done = stmt->run(); !done)
        return done;
    if (m_db.changes() == 0)
        return std::unexpected(detail::noSuchRun(m_db, runId));
    return {};
}

Result<std::vector<std::pair<std::string, std::string>>> RunStore::params(std::int64_t runId)
{
    if (auto exists = checkRunExists(runId); !exists)
        return std::unexpected(exists.error());
    auto stmt = m_db.prepare("SELECT key, value FROM params WHERE run_id = ? ORDER BY key");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, runId);
    std::vector<std::pair<std::string, std::string>> out;
    auto done = sql::forEachRow(
        *stmt, [&](const sql::Statement &row) { out.emplace_back(row.textAt(0), row.textAt(1)); });
    if (!done)
        return std::unexpected(done.error());
    return out;
}

Result<std::vector<ParamDiff>> RunStore::configDiff(std::span<const std::int64_t> runIds)
{
    std::map<std::string, std::vector<std::optional<std::string>>> table;
    for (std::size_t i = 0; i < runIds.size(); ++i) {
        auto pairs = params(runIds[i]);
        if (!pairs)
            return std::unexpected(pairs.error());
        for (auto &[key, value] : *pairs) {
            auto &values = table[key];
            values.resize(runIds.size());
            values[i] = std::move(value);
        }
    }
    std::vector<ParamDiff> diffs;
    for (auto &[key, values] : table) {
        if (std::adjacent_find(values.begin(), values.end(), std::not_equal_to<>()) != values.end())
            diffs.push_back(ParamDiff{key, std::move(values)});
    }
    return diffs;
}

} // namespace lathe::track
