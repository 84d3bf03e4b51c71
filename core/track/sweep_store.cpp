#include "core/track/sweep_store.h"

#include "core/track/schema.h"
#include "core/util/clock.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cmath>
#include <utility>

namespace lathe::track {

namespace {

constexpr std::array<std::pair<SweepStatus, std::string_view>, 3> kSweepStatusNames{{
    {SweepStatus::Running, "running"},
    {SweepStatus::Stopped, "stopped"},
    {SweepStatus::Finished, "finished"},
}};

constexpr std::array<std::pair<TrialState, std::string_view>, 4> kTrialStateNames{{
    {TrialState::Running, "running"},
    {TrialState::Completed, "completed"},
    {TrialState::Pruned, "pruned"},
    {TrialState::Failed, "failed"},
}};

template<typename Enum, std::size_t N>
std::string_view nameOf(const std::array<std::pair<Enum, std::string_view>, N> &names, Enum value)
{
    for (const auto &[v, name] : names)
        if (v == value)
            return name;
    return "unknown";
}

template<typename Enum, std::size_t N>
std::optional<Enum> parseName(const std::array<std::pair<Enum, std::string_view>, N> &names,
                              std::string_view text)
{
    for (const auto &[v, name] : names)
        if (name == text)
            return v;
    return std::nullopt;
}

constexpr std::string_view kSelectSweep
    = "SELECT id, name, spec_json, max_steps, status, created_at, ended_at FROM sweeps ";

Result<SweepInfo> readSweep(const sql::Statement &row, const std::filesystem::path &file)
{
    SweepInfo info;
    info.id = row.int64At(0);
    info.name = row.textAt(1);
    info.specJson = row.textAt(2);
    info.maxSteps = row.int64At(3);
    const auto status = parseSweepStatus(row.textAt(4));
    if (!status)
        return fail(ErrorCode::BadInput,
                    "sweep " + std::to_string(info.id) + " has an unknown status \"" + row.textAt(4)
                        + "\"",
                    file.string());
    info.status = *status;
    info.createdAt = row.realAt(5);
    info.endedAt = row.isNull(6) ? 0.0 : row.realAt(6);
    return info;
}

std::string trialName(std::int64_t sweepId, int number)
{
    return "trial " + std::to_string(number) + " of sweep " + std::to_string(sweepId);
}

} // namespace

std::string_view toString(SweepStatus status)
{
    return nameOf(kSweepStatusNames, status);
}

std::optional<SweepStatus> parseSweepStatus(std::string_view text)
{
    return parseName(kSweepStatusNames, text);
}

std::string_view toString(TrialState state)
{
    return nameOf(kTrialStateNames, state);
}

std::optional<TrialState> parseTrialState(std::string_view text)
{
    return parseName(kTrialStateNames, text);
}

SweepStore::SweepStore(sql::Database db)
    : m_db(std::move(db))
{
}

SweepStore::~SweepStore() = default;

Result<std::unique_ptr<SweepStore>> SweepStore::open(const std::filesystem::path &db)
{
    auto database = schema::openDatabase(db);
    if (!database)
        return std::unexpected(database.error());
    return std::unique_ptr<SweepStore>(new SweepStore(std::move(*database)));
}

Result<std::unique_ptr<SweepStore>> SweepStore::openForReading(const std::filesystem::path &db)
{
    auto connection = schema::openDatabaseForReading(db);
    if (!connection)
        return std::unexpected(connection.error());
    return std::unique_ptr<SweepStore>(new SweepStore(std::move(connection->db)));
}

const std::filesystem::path &SweepStore::path() const
{
    return m_db.file();
}

Result<std::int64_t> SweepStore::createSweep(const NewSweep &sweep)
{
    if (sweep.name.empty() || sweep.specJson.empty())
        return fail(ErrorCode::InvalidArgument, "a sweep needs a name and a spec",
                    m_db.file().string());
    auto stmt = m_db.prepare("INSERT INTO sweeps (name, spec_json, max_steps, status, created_at) "
                             "VALUES (?1, ?2, ?3, 'running', ?4)");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, std::string_view(sweep.name))
        .bind(2, std::string_view(sweep.specJson))
        .bind(3, sweep.maxSteps)
        .bind(4, util::unixNow());
    if (auto done = stmt->run(); !done)
        return std::unexpected(done.error());
    return m_db.lastInsertId();
}

Result<SweepInfo> SweepStore::sweep(std::int64_t id)
{
    auto stmt = m_db.prepare(std::string(kSelectSweep) + "WHERE id = ?1");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, id);
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    if (!*row)
        return fail(ErrorCode::NotFound, "no sweep " + std::to_string(id), m_db.file().string());
    return readSweep(*stmt, m_db.file());
}

Result<std::vector<SweepInfo>> SweepStore::listSweeps()
{
    auto stmt = m_db.prepare(std::string(kSelectSweep) + "ORDER BY id DESC");
    if (!stmt)
        return std::unexpected(stmt.error());
    std::vector<SweepInfo> sweeps;
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) -> Result<void> {
        auto info = readSweep(row, m_db.file());
        if (!info)
            return std::unexpected(info.error());
        sweeps.push_back(std::move(*info));
        return {};
    });
    if (!done)
        return std::unexpected(done.error());
    return sweeps;
}

Result<void> SweepStore::checkSweep(std::int64_t sweepId)
{
    auto stmt = m_db.prepare("SELECT 1 FROM sweeps WHERE id = ?1");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, sweepId);
    auto row = stmt->step();
    if (!row)
        return std::unexpected(row.error());
    if (!*row)
        return fail(ErrorCode::NotFound, "no sweep " + std::to_string(sweepId),
                    m_db.file().string());
    return {};
}

Result<std::vector<TrialRow>> SweepStore::readTrials(std::int64_t sweepId)
{
    auto stmt = m_db.prepare(
        "SELECT number, run_id, params_json, state, value, error_message, host, pid, pid_start, "
        "asked_at, ended_at FROM sweep_trials WHERE sweep_id = ?1 ORDER BY number");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, sweepId);
    std::vector<TrialRow> trials;
    auto done = sql::forEachRow(*stmt, [&](const sql::Statement &row) -> Result<void> {
        TrialRow trial;
        trial.sweepId = sweepId;
        trial.number = int(row.int64At(0));
        trial.runId = row.optionalInt64At(1);
        trial.paramsJson = row.textAt(2);
        const auto state = parseTrialState(row.textAt(3));
        if (!state)
            return fail(ErrorCode::BadInput,
                        trialName(sweepId, trial.number) + " has an unknown state \""
                            + row.textAt(3) + "\"",
                        m_db.file().string());
        trial.state = *state;
        if (!row.isNull(4))
            trial.value = row.realAt(4);
        trial.errorMessage = row.textAt(5);
        trial.owner = {row.textAt(6), row.int64At(7), row.int64At(8)};
        trial.askedAt = row.realAt(9);
        trial.endedAt = row.isNull(10) ? 0.0 : row.realAt(10);
        trials.push_back(std::move(trial));
        return {};
    });
    if (!done)
        return std::unexpected(done.error());
    stmt->reset();
    auto values = m_db.prepare("SELECT number, step, value FROM sweep_values WHERE sweep_id = ?1 "
                               "ORDER BY number, step");
    if (!values)
        return std::unexpected(values.error());
    values->bind(1, sweepId);
    std::size_t at = 0;
    auto read = sql::forEachRow(*values, [&](const sql::Statement &row) {
        const int number = int(row.int64At(0));
        while (at < trials.size() && trials[at].number < number)
            ++at;
        if (at < trials.size() && trials[at].number == number)
            trials[at].values[row.int64At(1)] = row.realAt(2);
    });
    if (!read)
        return std::unexpected(read.error());
    return trials;
}

Result<std::vector<TrialRow>> SweepStore::trials(std::int64_t sweepId)
{
    auto snapshot = sql::ReadSnapshot::begin(m_db);
    if (!snapshot)
        return std::unexpected(snapshot.error());
    if (auto known = checkSweep(sweepId); !known)
        return std::unexpected(known.error());
    return readTrials(sweepId);
}

Result<std::optional<AskedTrial>>
SweepStore::reassignDeadTrial(std::int64_t sweepId, const std::vector<TrialRow> &history)
{
    const auto self = currentProcess();
    for (const auto &trial : history) {
        // Another host's workers are alive as far as we can tell: leave them to that host.
        if (trial.state != TrialState::Running || trial.owner.host != self.host
            || isAliveHere(trial.owner))
            continue;
        auto take = m_db.prepare("UPDATE sweep_trials SET host = ?3, pid = ?4, pid_start = ?5, "
                                 "asked_at = ?6, run_id = NULL "
                                 "WHERE sweep_id = ?1 AND number = ?2");
        if (!take)
            return std::unexpected(take.error());
        take->bind(1, sweepId)
            .bind(2, std::int64_t(trial.number))
            .bind(3, std::string_view(self.host))
            .bind(4, self.pid)
            .bind(5, self.startTime)
            .bind(6, util::unixNow());
        if (auto done = take->run(); !done)
            return std::unexpected(done.error());
        // The new attempt reports its own values; the pruner must not read the dead one's.
        auto drop = m_db.prepare("DELETE FROM sweep_values WHERE sweep_id = ?1 AND number = ?2");
        if (!drop)
            return std::unexpected(drop.error());
        drop->bind(1, sweepId).bind(2, std::int64_t(trial.number));
        if (auto done = drop->run(); !done)
            return std::unexpected(done.error());
        spdlog::info("{}: {} was left running by {} pid {}, which is gone: re-assigned to pid {}",
                     m_db.file().string(), trialName(sweepId, trial.number), trial.owner.host,
                     trial.owner.pid, self.pid);
        return AskedTrial{trial.number, trial.paramsJson, true};
    }
    return std::optional<AskedTrial>{};
}

Result<std::optional<AskedTrial>> SweepStore::askTrial(std::int64_t sweepId, int budget,
                                                       const TrialSampler &sample)
{
    auto tx = sql::Transaction::begin(m_db);
    if (!tx)
        return std::unexpected(tx.error());
    if (auto known = checkSweep(sweepId); !known)
        return std::unexpected(known.error());
    auto history = readTrials(sweepId);
    if (!history)
        return std::unexpected(history.error());
    auto reassigned = reassignDeadTrial(sweepId, *history);
    if (!reassigned || *reassigned) {
        if (reassigned)
            if (auto done = tx->commit(); !done)
                return std::unexpected(done.error());
        return reassigned;
    }
    if (std::ssize(*history) >= budget)
        return std::optional<AskedTrial>{};
    const int number = history->empty() ? 0 : history->back().number + 1;
    auto params = sample(*history, number);
    if (!params)
        return std::unexpected(params.error());
    const auto self = currentProcess();
    auto insert = m_db.prepare(
        "INSERT INTO sweep_trials (sweep_id, number, params_json, state, host, pid, pid_start, "
        "asked_at) VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7)");
    if (!insert)
        return std::unexpected(insert.error());
    insert->bind(1, sweepId)
        .bind(2, std::int64_t(number))
        .bind(3, std::string_view(*params))
        .bind(4, std::string_view(self.host))
        .bind(5, self.pid)
        .bind(6, self.startTime)
        .bind(7, util::unixNow());
    if (auto done = insert->run(); !done)
        return std::unexpected(done.error());
    if (auto done = tx->commit(); !done)
        return std::unexpected(done.error());
    return AskedTrial{number, std::move(*params), false};
}

Result<void> SweepStore::checkChanged(std::int64_t sweepId, int number)
{
    if (m_db.changes() == 0)
        return fail(ErrorCode::NotFound, "no " + trialName(sweepId, number), m_db.file().string());
    return {};
}

Result<void> SweepStore::setTrialRun(std::int64_t sweepId, int number, std::int64_t runId)
{
    auto stmt
        = m_db.prepare("UPDATE sweep_trials SET run_id = ?3 WHERE sweep_id = ?1 AND number = ?2");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, sweepId).bind(2, std::int64_t(number)).bind(3, runId);
    if (auto done = stmt->run(); !done)
        return done;
    return checkChanged(sweepId, number);
}

Result<void> SweepStore::recordValue(std::int64_t sweepId, int number, std::int64_t step,
                                     double value)
{
    // Selected from the trial, so that an unknown trial inserts nothing (NotFound below).
    auto stmt = m_db.prepare("INSERT OR REPLACE INTO sweep_values (sweep_id, number, step, value) "
                             "SELECT ?1, ?2, ?3, ?4 FROM sweep_trials "
                             "WHERE sweep_id = ?1 AND number = ?2");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, sweepId).bind(2, std::int64_t(number)).bind(3, step);
    if (std::isnan(value))
        stmt->bindNull(4);
    else
        stmt->bind(4, value);
    if (auto done = stmt->run(); !done)
        return done;
    return checkChanged(sweepId, number);
}

Result<void> SweepStore::finishTrial(std::int64_t sweepId, int number, TrialState state,
                                     std::optional<double> value, std::string_view errorMessage)
{
    if (state == TrialState::Running)
        return fail(ErrorCode::InvalidArgument,
                    "a trial ends completed, pruned or failed, not running", m_db.file().string());
    // As a string: an empty string_view may have no data, which SQLite would bind as NULL.
    const std::string message(errorMessage);
    auto stmt = m_db.prepare("UPDATE sweep_trials SET state = ?3, value = ?4, error_message = ?5, "
                             "ended_at = ?6 WHERE sweep_id = ?1 AND number = ?2");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, sweepId)
        .bind(2, std::int64_t(number))
        .bind(3, toString(state))
        .bind(5, std::string_view(message))
        .bind(6, util::unixNow());
    if (value && !std::isnan(*value))
        stmt->bind(4, *value);
    else
        stmt->bindNull(4);
    if (auto done = stmt->run(); !done)
        return done;
    return checkChanged(sweepId, number);
}

Result<void> SweepStore::setSweepStatus(std::int64_t sweepId, SweepStatus status)
{
    auto stmt = m_db.prepare("UPDATE sweeps SET status = ?2, ended_at = ?3 WHERE id = ?1");
    if (!stmt)
        return std::unexpected(stmt.error());
    stmt->bind(1, sweepId).bind(2, toString(status));
    if (status == SweepStatus::Running)
        stmt->bindNull(3);
    else
        stmt->bind(3, util::unixNow());
    if (auto done = stmt->run(); !done)
        return done;
    if (m_db.changes() == 0)
        return fail(ErrorCode::NotFound, "no sweep " + std::to_string(sweepId),
                    m_db.file().string());
    return {};
}

} // namespace lathe::track
