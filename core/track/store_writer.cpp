#include "core/track/store_writer.h"

#include "core/track/run_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

namespace lathe::track {

namespace {

// Attempts the destructor makes to drain the queue before it gives up on the rows.
constexpr int kStopAttempts = 3;

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
    m_thread = std::thread([this] { threadMain(); });
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
        if (batch.empty() && stopping)
            return;
        lock.unlock();
        const auto failure = writeBatch(batch);
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
    while (written < batch.size()) {
        const auto count = std::min(m_options.maxBatchRows, batch.size() - written);
        auto outcome = m_store->applyBatch(std::span(batch).subspan(written, count));
        if (!outcome) {
            failure = outcome.error();
            publish(0, {}, failure);
            break;
        }
        written += count;
        publish(count, std::move(outcome->rejected), std::nullopt);
    }
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(written));
    // Give the big buffer back after a burst instead of holding it for the whole run.
    if (batch.empty() && batch.capacity() > 4 * m_options.maxBatchRows)
        std::vector<WriteOp>().swap(batch);
    return failure;
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
