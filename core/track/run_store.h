#pragma once

#include "core/track/downsample.h"
#include "core/track/run_summary.h"
#include "core/track/sqlite.h"
#include "core/track/store_types.h"
#include "core/util/error.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lathe::track {

/// Outcome of RunStore::applyBatch: rows written, and rows the database refused (unknown run,
/// malformed row) which were skipped.
struct BatchOutcome
{
    std::size_t applied = 0;
    std::vector<Error> rejected;
};

/// The experiment store: runs, their flattened params, metrics, events, artifacts and tags in
/// one SQLite file (WAL), read and written through one connection. Every method returns an
/// Error instead of throwing; errors name the database file as context. Not thread-safe: use
/// one RunStore per thread (any number of them, in any number of processes, may share a file).
class RunStore
{
public:
    /// Opens `db`, creating its folders and the file if missing, and migrates it to the latest
    /// schema. Runs left running or paused by a dead process of this host are marked
    /// Interrupted (with an "interrupted" event). Errors: BadInput for a file that is not a
    /// Lathe database, SchemaTooNew for one written by a newer Lathe (left untouched), Io.
    static Result<std::unique_ptr<RunStore>> open(const std::filesystem::path &db);
    /// Opens `db` as open() does, for the commands and views that only read (runs, show,
    /// compare, the window), except that a store written by a newer Lathe is opened read-only:
    /// never migrated down, nothing marked or written (every write fails), readOnlyReason()
    /// saying why. Errors as open(), less SchemaTooNew.
    static Result<std::unique_ptr<RunStore>> openForReading(const std::filesystem::path &db);
    /// The schema version this build writes (PRAGMA user_version after open).
    static int latestSchemaVersion();
    /// How many times open() was called on the calling thread, failed calls included: lets a
    /// test prove that a thread (the GUI's) never opens, migrates or marks the store.
    /// Thread-safe (a per-thread count).
    static std::uint64_t opensOnThisThread();

    RunStore(const RunStore &) = delete;
    RunStore &operator=(const RunStore &) = delete;
    ~RunStore();

    const std::filesystem::path &path() const;
    /// Empty for a writable store; for one openForReading() opened read-only, why (the
    /// SchemaTooNew message, naming both schema versions).
    const std::string &readOnlyReason() const { return m_readOnlyReason; }

    // ---- runs (run_store.cpp) ----------------------------------------------------------------

    /// Creates a run with status Created and its flattened params, in one transaction. Names
    /// are unique: a name another run has gets the first free suffix ("name-2", "name-3", ...;
    /// read the stored name back with run()). InvalidArgument when configJson does not parse (the
    /// message has the position) or the name is empty; NotFound for an unknown parentId.
    Result<std::int64_t> createRun(const NewRun &run);
    /// One run with its tags; NotFound if there is none with that id.
    Result<RunInfo> run(std::int64_t id);
    /// A run by numeric id, else by exact name (the newest with it, for a store written before
    /// names were unique); NotFound names
    /// what was looked for.
    Result<RunInfo> findRun(std::string_view idOrName);
    /// Runs matching `query`, sorted; InvalidArgument for a sort key not in the whitelist.
    Result<std::vector<RunInfo>> listRuns(const RunQuery &query);
    /// Changes a run's status and error message. Running sets started_at the first time,
    /// clears ended_at and makes this process the owner; terminal states set ended_at.
    /// NotFound for an unknown run.
    Result<void> setStatus(std::int64_t runId, RunStatus status, std::string errorMessage = {});
    /// Replaces a run's config (JSON object) and its flattened params in one transaction.
    /// InvalidArgument for text that is not a JSON object, NotFound for an unknown run.
    Result<void> setConfig(std::int64_t runId, std::string configJson);
    /// Dates a run as its source did (a run imported from another tracker): created_at and
    /// started_at become `startedAt`, ended_at `endedAt`; a time <= 0 leaves that column as it
    /// is. NotFound for an unknown run.
    Result<void> setTimes(std::int64_t runId, double startedAt, double endedAt);
    /// Renames a run; InvalidArgument for an empty name or one another run has (naming that
    /// run), NotFound for an unknown run.
    Result<void> rename(std::int64_t runId, std::string_view name);
    /// Replaces a run's notes; NotFound for an unknown run.
    Result<void> setNotes(std::int64_t runId, std::string_view notes);
    /// Adds a tag (no-op if present); InvalidArgument for an empty tag or one with control
    /// characters, NotFound for an unknown run.
    Result<void> addTag(std::int64_t runId, std::string_view tag);
    /// Removes a tag (no-op if absent); NotFound for an unknown run.
    Result<void> removeTag(std::int64_t runId, std::string_view tag);
    /// Deletes a run and all its rows; children keep living with parentId unset.
    /// NotFound for an unknown run.
    Result<void> deleteRun(std::int64_t runId);
    /// A run's flattened config ("optimizer.lr" -> "0.001"), sorted by key.
    Result<std::vector<std::pair<std::string, std::string>>> params(std::int64_t runId);
    /// Config keys whose values differ between `runIds` (or are missing in some), sorted by
    /// key, with one value per run in the order given. NotFound for an unknown run.
    Result<std::vector<ParamDiff>> configDiff(std::span<const std::int64_t> runIds);
    /// Every run (oldest first) with its model, optimizer, lr, best val/accuracy, last
    /// test/accuracy and last train/loss, in one query: what a run list shows (run_summary.cpp).
    Result<std::vector<RunSummary>> runSummaries();

    // ---- metrics, events, artifacts (run_store_series.cpp) -----------------------------------

    /// Appends metric samples in one transaction (all or nothing). NotFound for an unknown
    /// run, InvalidArgument for an empty key.
    Result<void> addMetrics(std::span<const MetricPoint> points);
    /// Deletes a run's metric samples and histograms with step > `step`: what a run resumed
    /// from the checkpoint of that step will log again. Readers polling by id keep the deleted
    /// rows they already have, so a live view should reload the series when the run resumes.
    /// NotFound for an unknown run.
    Result<void> deleteMetricsAfter(std::int64_t runId, std::int64_t step);
    /// Samples of one series with id > afterId, ordered by id: poll with the last id seen to
    /// get only new rows. An unknown run or key gives an empty series.
    Result<std::vector<MetricRow>> metricSeries(std::int64_t runId, std::string_view key,
                                                std::int64_t afterId = 0);
    /// A whole series as (x, value) pairs, ordered by id: the fast read for plotting (full
    /// blocks of samples are stored packed). `lastId`, when given, receives the id of the last
    /// sample returned (0 if none): poll metricSeries(runId, key, *lastId) from there.
    Result<std::vector<SeriesPoint>> seriesXY(std::int64_t runId, std::string_view key,
                                              SeriesX x = SeriesX::Step,
                                              std::int64_t *lastId = nullptr);
    /// The metric keys a run has, sorted.
    Result<std::vector<std::string>> metricKeys(std::int64_t runId);
    /// The latest value of a series (NaN if that was NaN); nullopt when the series is empty.
    Result<std::optional<double>> lastMetric(std::int64_t runId, std::string_view key);
    /// The best non-NaN value of a series; nullopt when there is none.
    Result<std::optional<double>> bestMetric(std::int64_t runId, std::string_view key,
                                             bool higherIsBetter);
    /// Appends an event (wallTime 0 = now). NotFound for an unknown run, InvalidArgument for
    /// an empty kind or a payload that is not JSON.
    Result<void> addEvent(const EventRow &event);
    /// A run's events in the order they were added.
    Result<std::vector<EventRow>> events(std::int64_t runId);
    /// Records an artifact (createdAt 0 = now). NotFound for an unknown run, InvalidArgument
    /// for an empty kind or path.
    Result<void> addArtifact(const ArtifactRow &artifact);
    /// A run's artifacts in the order they were added.
    Result<std::vector<ArtifactRow>> artifacts(std::int64_t runId);
    // ---- histograms (run_store_histograms.cpp) ----------------------------------------------

    /// Stores histograms in one transaction (all or nothing), each replacing any stored for the
    /// same (run, step, name, kind). NotFound for an unknown run, InvalidArgument for an empty
    /// name, no bins, or a range that is not finite with min <= max.
    Result<void> addHistograms(std::span<const HistogramRow> rows);
    /// The (name, kind) series a run has, in the order they were first recorded (the model's
    /// order). Empty for an unknown run or one without histograms.
    Result<std::vector<HistogramKey>> histogramKeys(std::int64_t runId);
    /// The histograms of one series with step > afterStep, ascending by step: poll with the
    /// last step seen to get only new ones. BadInput for a stored row whose counts are corrupt.
    Result<std::vector<HistogramSample>>
    histogramSeries(std::int64_t runId, const HistogramKey &key, std::int64_t afterStep = -1);

    /// Applies mixed writes in order in one transaction (what StoreWriter does per batch).
    /// Rows the database refuses are skipped and listed in the outcome; any other failure
    /// (busy past the timeout, disk full) rolls the whole batch back and is returned.
    Result<BatchOutcome> applyBatch(std::span<const WriteOp> ops);

private:
    explicit RunStore(sql::Database db);
    Result<void> markInterruptedRuns();
    Result<void> markInterrupted(std::int64_t runId, const std::string &owner);
    Result<void> checkRunExists(std::int64_t runId);
    Result<void> updateRun(std::string_view sql, std::int64_t runId, std::string_view text);

    sql::Database m_db;
    std::string m_readOnlyReason;
};

} // namespace lathe::track
