#include "core/track/store_writer.h"

#include "core/track/run_store.h"
#include "core/track/write_lock_waits.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

namespace lathe::track {

namespace {

// Attempts the destructor makes to drain the queue before it gives up on the rows.
constexpr int kStopAttempts = 3;

template<typename... Fs>
struct Overloaded : Fs...
{
    using Fs::operator()...;
};

Result<void> applyOne(RunStore &store, const RunEdit &edit)
{
    return std::visit(Overloaded{
                          [&](const RenameRun &e) { return store.rename(e.runId, e.name); },
                          [&](const SetRunNotes &e) { return store.setNotes(e.runId, e.notes); },
                          [&](const AddRunTag &e) { return store.addTag(e.runId, e.tag); },
                          [&](const RemoveRunTag &e) { return store.removeTag(e.runId, e.tag); },
                          [&](const DeleteRun &e) -> Result<void> {
                              auto done = store.deleteRun(e.runId);
                              if (!done && done.error().code == ErrorCode::NotFound)
                                  return {}; // deleted by another process meanwhile: what was asked
                              return done;
                          },
                      },
                      edit);
}

} // namespace

Result<std::unique_ptr<StoreWriter>> StoreWriter::open(const std::filesystem::path &db,
                                                       Options options)
{
    // Opened here, on the caller's thread, so open errors are returned; from now on only the
    // writer thread touches the connection.
    auto store = RunStore::open(db);
    if (!store)
        return std::unexpected(store.error());
    options.maxBatchRows = std::max<std::size_t>(options.maxBatchRows, 1);
    return std::unique_ptr<StoreWriter>(new StoreWriter(std::move(*store), options));
}

StoreWriter::StoreWriter(std::unique_ptr<RunStore> store, Options options)
    : m_store(std::move(store))
    , m_options(options)
{
    m_pending.reserve(m_options.maxBatchRows);
    m_thread = std::thread([this] {
        threadMain();
        // The end of a run's writes: what they waited for other writers, in the log file.
        logWriteLockWaits(m_store->path(), "store writer");
    });
}

StoreWriter::~StoreWriter()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

void StoreWriter::addMetric(MetricPoint point)
{
    enqueue(std::move(point));
}

void StoreWriter::addEvent(EventRow event)
{
    enqueue(std::move(event));
}

void StoreWriter::addArtifact(ArtifactRow artifact)
{
    enqueue(std::move(artifact));
}

void StoreWriter::addHistogram(HistogramRow histogram)
{
    enqueue(std::move(histogram));
}

void StoreWriter::setStatus(std::int64_t runId, RunStatus status, std::string errorMessage)
{
    enqueue(StatusChange{runId, status, std::move(errorMessage)});
}

void StoreWriter::setConfig(std::int64_t runId, std::string configJson)
{
    enqueue(ConfigChange{runId, std::move(configJson)});
}

void StoreWriter::edit(std::vector<RunEdit> edits, EditDone done)
{
    {
        std::lock_guard lock(m_mutex);
        ++m_enqueued;
        m_edits.push_back({m_opsQueued, std::move(edits), std::move(done)});
        // A person is waiting for it: do not wait for the flush interval.
        m_flushRequested = true;
    }
    m_wake.notify_one();
}

void StoreWriter::enqueue(WriteOp op)
{
    std::unique_lock lock(m_mutex);
    ++m_enqueued;
    const bool droppable
        = std::holds_alternative<MetricPoint>(op) || std::holds_alternative<HistogramRow>(op);
    if (droppable && m_enqueued - m_done > m_options.maxPendingRows) {
        ++m_done;
        if (m_dropped++ % 100000 == 0) {
            spdlog::error("{}: store writer backlog full, dropping metric rows ({} so far)",
                          m_store->path().string(), m_dropped);
            noteError(Error{ErrorCode::Io,
                            "the store writer is " + std::to_string(m_options.maxPendingRows)
                                + " rows behind; metric rows are being dropped ("
                                + std::to_string(m_dropped) + " so far)",
                            m_store->path().string()});
        }
        return;
    }
    m_pending.push_back(std::move(op));
    ++m_opsQueued;
    // Notify once per full batch; a missed wake-up is caught by the writer's predicate.
    const bool full = m_pending.size() == m_options.maxBatchRows;
    lock.unlock();
    if (full)
        m_wake.notify_one();
}

Result<void> StoreWriter::flush()
{
    std::unique_lock lock(m_mutex);
    const auto ticket = m_enqueued;
    const auto failures = m_failures;
    m_flushRequested = true;
    m_wake.notify_one();
    m_progress.wait(lock, [&] { return m_done >= ticket || m_failures > failures; });
    if (auto error = std::exchange(m_errorSinceFlush, std::nullopt))
        return std::unexpected(std::move(*error));
    return {};
}

std::optional<Error> StoreWriter::lastError() const
{
    std::lock_guard lock(m_mutex);
    return m_lastError;
}

void StoreWriter::noteError(const Error &error)
{
    if (!m_errorSinceFlush)
        m_errorSinceFlush = error;
    m_lastError = error;
}

bool StoreWriter::waitForWork(std::unique_lock<std::mutex> &lock, bool backoff)
{
    // After a failed attempt, wait the whole interval even if a batch is full: retrying a
    // full disk in a tight loop helps nobody.
    m_wake.wait_for(lock, m_options.flushInterval, [&] {
        return m_stopping || m_flushRequested
               || (!backoff && m_pending.size() >= m_options.maxBatchRows);
    });
    m_flushRequested = false;
    return m_stopping;
}

void StoreWriter::threadMain()
{
    // Rows taken from the queue but not committed yet; they stay ahead of newer rows.
    std::vector<WriteOp> batch;
    bool backoff = false;
    int stopFailures = 0;
    std::unique_lock lock(m_mutex);
    for (;;) {
        const bool stopping = waitForWork(lock, backoff);
        if (batch.empty()) {
            batch.swap(m_pending);
        } else {
            std::move(m_pending.begin(), m_pending.end(), std::back_inserter(batch));
            m_pending.clear();
        }
        if (batch.empty() && m_edits.empty() && stopping)
            return;
        lock.unlock();
        const auto failure = writeBatch(batch);
        if (stopping && failure && stopFailures + 1 >= kStopAttempts)
            abandonEdits(*failure);
        lock.lock();
        backoff = failure.has_value();
        if (stopping && failure && ++stopFailures >= kStopAttempts) {
            spdlog::error("{}: store writer stopping with {} rows it could not write: {}",
                          m_store->path().string(), batch.size(), failure->toString());
            m_done += batch.size();
            m_progress.notify_all();
            return;
        }
    }
}

std::optional<Error> StoreWriter::writeBatch(std::vector<WriteOp> &batch)
{
    std::size_t written = 0;
    std::optional<Error> failure;
    for (;;) {
        // Edits go in between the rows at the place they were queued.
        if (auto pending = takeEdit(m_opsWritten)) {
            applyEdit(*pending);
            continue;
        }
        if (written == batch.size())
            break;
        auto count = std::min(m_options.maxBatchRows, batch.size() - written);
        if (const auto next = nextEditAfter())
            count = std::min<std::uint64_t>(count, *next - m_opsWritten);
        auto outcome = m_store->applyBatch(std::span(batch).subspan(written, count));
        if (!outcome) {
            failure = outcome.error();
            publish(0, {}, failure);
            break;
        }
        written += count;
        m_opsWritten += count;
        publish(count, std::move(outcome->rejected), std::nullopt);
    }
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(written));
    // Give the big buffer back after a burst instead of holding it for the whole run.
    if (batch.empty() && batch.capacity() > 4 * m_options.maxBatchRows)
        std::vector<WriteOp>().swap(batch);
    return failure;
}

std::optional<StoreWriter::PendingEdit> StoreWriter::takeEdit(std::uint64_t upTo)
{
    std::lock_guard lock(m_mutex);
    if (m_edits.empty() || m_edits.front().afterOps > upTo)
        return std::nullopt;
    auto pending = std::move(m_edits.front());
    m_edits.pop_front();
    return pending;
}

std::optional<std::uint64_t> StoreWriter::nextEditAfter()
{
    std::lock_guard lock(m_mutex);
    if (m_edits.empty())
        return std::nullopt;
    return m_edits.front().afterOps;
}

void StoreWriter::applyEdit(PendingEdit &pending)
{
    Result<void> outcome;
    for (const auto &edit : pending.edits) {
        outcome = applyOne(*m_store, edit);
        if (!outcome)
            break;
    }
    if (pending.done)
        pending.done(std::move(outcome));
    std::lock_guard lock(m_mutex);
    ++m_done;
    m_progress.notify_all();
}

void StoreWriter::abandonEdits(const Error &why)
{
    std::deque<PendingEdit> edits;
    {
        std::lock_guard lock(m_mutex);
        edits.swap(m_edits);
    }
    if (!edits.empty())
        spdlog::error("{}: store writer stopping with {} edits it could not write: {}",
                      m_store->path().string(), edits.size(), why.toString());
    for (auto &pending : edits) {
        if (pending.done)
            pending.done(std::unexpected(
                Error{ErrorCode::Io, "the store writer stopped before this edit: " + why.message,
                      m_store->path().string()}));
    }
    std::lock_guard lock(m_mutex);
    m_done += edits.size();
    m_progress.notify_all();
}

void StoreWriter::publish(std::size_t written, std::vector<Error> rejected,
                          const std::optional<Error> &failure)
{
    const auto file = m_store->path().string();
    // Log the first failure of a streak and then every 50th, not every 200 ms.
    if (failure && m_failureStreak++ % 50 == 0) {
        spdlog::error("{}: store writer could not commit ({} attempts); will retry: {}", file,
                      m_failureStreak, failure->toString());
    } else if (!failure && std::exchange(m_failureStreak, 0) > 0) {
        spdlog::info("{}: store writer is committing again", file);
    }
    if (!rejected.empty()) {
        spdlog::warn("{}: store writer skipped {} rows the database refused; first: {}", file,
                     rejected.size(), rejected.front().toString());
    }
    std::lock_guard lock(m_mutex);
    m_done += written;
    if (failure) {
        ++m_failures;
        noteError(*failure);
    } else if (!rejected.empty()) {
        noteError(rejected.front());
    } else if (written > 0) {
        m_lastError.reset();
    }
    m_progress.notify_all();
}

} // namespace lathe::track
