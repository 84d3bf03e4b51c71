#pragma once

#include "core/track/store_types.h"
#include "core/util/error.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace lathe::track {

class RunStore;

/// Tuning of a StoreWriter.
struct StoreWriterOptions
{
    /// How long queued rows may wait before the writer commits them.
    std::chrono::milliseconds flushInterval{200};
    /// Rows per transaction; reaching it wakes the writer early.
    std::size_t maxBatchRows = 4096;
    /// Rows queued but not yet written beyond which new metric and histogram rows are dropped
    /// (counted, logged and reported as an error). Status changes, events and artifacts are
    /// never dropped.
    std::size_t maxPendingRows = 4'000'000;
};

/// A user's edit of a stored run (what the GUI changes: name, notes, tags, deletion), queued with
/// the other writes. Each has the effects and errors of the RunStore method of the same name.
struct RenameRun
{
    std::int64_t runId = 0;
    std::string name{};
};
struct SetRunNotes
{
    std::int64_t runId = 0;
    std::string notes{};
};
struct AddRunTag
{
    std::int64_t runId = 0;
    std::string tag{};
};
struct RemoveRunTag
{
    std::int64_t runId = 0;
    std::string tag{};
};
/// Deletes a run (RunStore::deleteRun); a run that is gone already counts as deleted.
struct DeleteRun
{
    std::int64_t runId = 0;
};
using RunEdit = std::variant<RenameRun, SetRunNotes, AddRunTag, RemoveRunTag, DeleteRun>;

/// The outcome of a group of edits, called on the writer thread; must not throw.
using EditDone = std::function<void(Result<void>)>;

/// The store's batching writer: a thread with its own connection that commits queued metric
/// rows, events, artifacts, status changes and run edits in enqueue order, one transaction per
/// batch of up to maxBatchRows, every flushInterval or sooner when a batch is full. The GUI's
/// edits go through it too, so that only a writer thread writes.
///
/// Enqueueing is thread-safe and cheap (a mutex and a vector push); it never fails: errors
/// surface through flush() and lastError(). When the database refuses a row (unknown run,
/// empty key) that row is skipped and reported. When the database cannot be written (locked
/// by another writer past the 5 s busy timeout, disk full, I/O error) the batch is rolled
/// back, the error is logged and kept, and the same rows are retried after flushInterval, so
/// nothing is lost while the queue stays under maxPendingRows. The destructor drains the
/// queue (giving up after 3 failed attempts, logging how many rows it drops) and joins.
class StoreWriter
{
public:
    using Options = StoreWriterOptions;

    /// Opens `db` (as RunStore::open does, with the same errors) and starts the thread.
    static Result<std::unique_ptr<StoreWriter>> open(const std::filesystem::path &db,
                                                     Options options = {});
    StoreWriter(const StoreWriter &) = delete;
    StoreWriter &operator=(const StoreWriter &) = delete;
    ~StoreWriter();

    /// Queues a metric sample. Thread-safe.
    void addMetric(MetricPoint point);
    /// Queues an event. Thread-safe.
    void addEvent(EventRow event);
    /// Queues an artifact record. Thread-safe.
    void addArtifact(ArtifactRow artifact);
    /// Queues a histogram (effects as RunStore::addHistograms); dropped like metric rows when
    /// the backlog is full. Thread-safe.
    void addHistogram(HistogramRow histogram);
    /// Queues a status change (effects as RunStore::setStatus; the owner is this process).
    /// Thread-safe.
    void setStatus(std::int64_t runId, RunStatus status, std::string errorMessage = {});

    /// Queues a config change (effects as RunStore::setConfig). Thread-safe.
    void setConfig(std::int64_t runId, std::string configJson);

    /// Queues `edits`, applied by the writer thread after every write queued before them, in
    /// order, each in its own transaction, stopping at the first that fails; then calls
    /// `done` (if set) on the writer thread with success or that error (edits before it stay
    /// applied). Edits are never dropped, retried or counted in flush()'s and lastError()'s
    /// errors: their outcome goes to `done` only (when the writer stops before it could apply
    /// them, an Io error). Wakes the writer at once. Thread-safe.
    void edit(std::vector<RunEdit> edits, EditDone done = {});

    /// Blocks until everything queued before the call is committed, or until a write attempt
    /// fails (the rows stay queued for retry), and returns the first error seen since the
    /// previous flush by any thread (then forgets it). Thread-safe.
    Result<void> flush();
    /// The error of the latest write attempt (a failure, or rows refused in that batch);
    /// nullopt once a later batch commits cleanly. Thread-safe.
    std::optional<Error> lastError() const;

private:
    /// Edits queued after `afterOps` WriteOps had been queued.
    struct PendingEdit
    {
        std::uint64_t afterOps = 0;
        std::vector<RunEdit> edits;
        EditDone done;
    };

    StoreWriter(std::unique_ptr<RunStore> store, Options options);
    void enqueue(WriteOp op);
    void threadMain();
    bool waitForWork(std::unique_lock<std::mutex> &lock, bool backoff);
    std::optional<Error> writeBatch(std::vector<WriteOp> &batch);
    std::optional<PendingEdit> takeEdit(std::uint64_t upTo);
    std::optional<std::uint64_t> nextEditAfter();
    void applyEdit(PendingEdit &pending);
    void abandonEdits(const Error &why);
    void publish(std::size_t written, std::vector<Error> rejected,
                 const std::optional<Error> &failure);
    void noteError(const Error &error);

    std::unique_ptr<RunStore> m_store; // used by the writer thread only
    const Options m_options;
    std::uint64_t m_failureStreak = 0; // writer thread only
    std::uint64_t m_opsWritten = 0;    // writer thread only: WriteOps committed or refused

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;     // the writer waits for rows, flushes or stop
    std::condition_variable m_progress; // flushers wait for commits or failures
    std::vector<WriteOp> m_pending;
    std::deque<PendingEdit> m_edits; // in enqueue order, so afterOps never decreases
    std::uint64_t m_opsQueued = 0;   // WriteOps ever put in m_pending
    std::uint64_t m_enqueued = 0;    // ops ever queued (dropped ones included)
    std::uint64_t m_done = 0;        // ops committed, refused or dropped
    std::uint64_t m_failures = 0;    // failed write attempts
    std::uint64_t m_dropped = 0;
    bool m_flushRequested = false;
    bool m_stopping = false;
    std::optional<Error> m_errorSinceFlush;
    std::optional<Error> m_lastError;
    std::thread m_thread;
};

} // namespace lathe::track
