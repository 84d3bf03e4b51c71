#pragma once

#include "core/track/process_identity.h"
#include "core/track/sqlite.h"
#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The sweep rows of the store (schema step 3): sweeps, their trials and the trials'
// intermediate objective values. The search itself (samplers, pruners) is core/sweep's; this
// store only keeps the state every worker reads, so that any worker may ask for the next trial.
namespace lathe::track {

/// Life cycle of a sweep: running while workers may ask, stopped (Ctrl-C; `sweep resume` goes
/// on), finished (the budget is spent and no trial runs).
enum class SweepStatus { Running, Stopped, Finished };
/// A trial's state; all but Running are terminal.
enum class TrialState { Running, Completed, Pruned, Failed };

/// Stored lowercase names ("running", "completed", ...), and their parsers. Thread-safe.
std::string_view toString(SweepStatus status);
std::optional<SweepStatus> parseSweepStatus(std::string_view text);
std::string_view toString(TrialState state);
std::optional<TrialState> parseTrialState(std::string_view text);

/// What a caller supplies to create a sweep.
struct NewSweep
{
    std::string name{};
    std::string specJson{};    ///< the spec, self-contained (sweep::toJson)
    std::int64_t maxSteps = 0; ///< the step limit of every trial; 0: none
};

/// One stored sweep.
struct SweepInfo
{
    std::int64_t id = 0;
    std::string name{};
    std::string specJson{};
    std::int64_t maxSteps = 0;
    SweepStatus status = SweepStatus::Running;
    double createdAt = 0;
    double endedAt = 0; ///< 0 while running
};

/// One stored trial with its intermediate values.
struct TrialRow
{
    std::int64_t sweepId = 0;
    int number = 0;
    std::optional<std::int64_t> runId{}; ///< the run training it; none before it starts
    std::string paramsJson{};            ///< a JSON object: config key -> value
    TrialState state = TrialState::Running;
    std::optional<double> value{}; ///< the objective of a completed trial
    std::string errorMessage{};    ///< why a trial failed
    ProcessIdentity owner{};       ///< the worker that runs (or ran) it
    double askedAt = 0;
    double endedAt = 0;
    std::map<std::int64_t, double> values{}; ///< step -> intermediate objective (NaN kept)
};

/// A trial handed to a worker by askTrial.
struct AskedTrial
{
    int number = 0;
    std::string paramsJson{};
    bool reassigned = false; ///< a dead worker's trial, to be run again
};

/// Samples the params (a JSON object's text) of trial `number` from the sweep's trials so far.
using TrialSampler
    = std::function<Result<std::string>(const std::vector<TrialRow> &history, int number)>;

/// The sweeps, trials and intermediate values of one store file, through a connection of its
/// own (opened with schema::openDatabase, so the file is created and migrated as for runs).
/// Every method returns an Error naming the database file instead of throwing. Not
/// thread-safe: one SweepStore per thread; any number of processes may share the file.
class SweepStore
{
public:
    /// Opens (creating and migrating) `db`. Errors as RunStore::open.
    static Result<std::unique_ptr<SweepStore>> open(const std::filesystem::path &db);
    /// Opens `db` as open() does, for views that only read (the window's Sweeps panel), except
    /// that a store written by a newer Lathe is opened read-only, as RunStore::openForReading
    /// does: never migrated down, every write fails. Errors as open(), less SchemaTooNew.
    static Result<std::unique_ptr<SweepStore>> openForReading(const std::filesystem::path &db);

    SweepStore(const SweepStore &) = delete;
    SweepStore &operator=(const SweepStore &) = delete;
    ~SweepStore();

    const std::filesystem::path &path() const;

    /// Adds a running sweep; returns its id. InvalidArgument for an empty name or spec.
    Result<std::int64_t> createSweep(const NewSweep &sweep);
    /// One sweep; NotFound for an unknown id.
    Result<SweepInfo> sweep(std::int64_t id);
    /// Every sweep, newest first.
    Result<std::vector<SweepInfo>> listSweeps();
    /// A sweep's trials by number, each with its intermediate values. NotFound for an unknown
    /// sweep.
    Result<std::vector<TrialRow>> trials(std::int64_t sweepId);

    /// Hands the calling process a trial, in one write transaction (BEGIN IMMEDIATE) so that
    /// concurrent workers never get the same one: first a trial left running by a dead worker
    /// of this host (its owner's pid and start time no longer match a process: the test
    /// RunStore uses for runs), re-assigned with its params and its intermediate values
    /// dropped; else, while the sweep has fewer than `budget` trials, a new one numbered after
    /// the last, its params from `sample` (called inside the transaction with the history).
    /// nullopt when the budget is spent. The sweep's status is not looked at (the caller
    /// decides whether to work on a stopped sweep). NotFound for an unknown sweep; `sample`'s
    /// error as it is (nothing is written).
    Result<std::optional<AskedTrial>> askTrial(std::int64_t sweepId, int budget,
                                               const TrialSampler &sample);
    /// Records which run trains a trial. NotFound for an unknown trial.
    Result<void> setTrialRun(std::int64_t sweepId, int number, std::int64_t runId);
    /// Records (or replaces) a trial's intermediate value at `step`, in its own transaction.
    /// NotFound for an unknown trial.
    Result<void> recordValue(std::int64_t sweepId, int number, std::int64_t step, double value);
    /// Ends a trial: Completed (with its value), Pruned or Failed (with the reason).
    /// InvalidArgument for state Running; NotFound for an unknown trial.
    Result<void> finishTrial(std::int64_t sweepId, int number, TrialState state,
                             std::optional<double> value, std::string_view errorMessage = {});
    /// Sets a sweep's status; Stopped and Finished date its end, Running clears it. NotFound
    /// for an unknown sweep.
    Result<void> setSweepStatus(std::int64_t sweepId, SweepStatus status);

private:
    explicit SweepStore(sql::Database db);
    Result<std::vector<TrialRow>> readTrials(std::int64_t sweepId);
    Result<std::optional<AskedTrial>> reassignDeadTrial(std::int64_t sweepId,
                                                        const std::vector<TrialRow> &history);
    Result<void> checkSweep(std::int64_t sweepId);
    Result<void> checkChanged(std::int64_t sweepId, int number);

    sql::Database m_db;
};

} // namespace lathe::track
