#pragma once

#include "core/track/run_store.h"
#include "core/track/store_writer.h"
#include "core/track/sweep_store.h"
#include "core/util/error.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <filesystem>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

namespace lathe::panels {

namespace inspect_jobs {
class ModelCache;
}

/// The window's one door to the experiment store: every panel, built-in or plugin, reads and
/// writes through the StoreClient the window injects. Reads (query()) run on the client's own
/// thread, against its own connection, in the order they were asked; edits (edit()) go to the
/// store's StoreWriter, the only thread of the window that writes. Nothing here opens, migrates
/// or touches the store on the GUI thread. Results come back to a QObject on that object's
/// thread and are dropped when it is gone. Create, use and destroy on the GUI thread; the
/// destructor waits for the query in progress and for the queued edits.
class StoreClient : public QObject
{
    Q_OBJECT

public:
    /// Opens `db` (a reading connection and a StoreWriter) on the client's thread; a failure is
    /// reported to every later query and edit as an Error naming the file. A store written by
    /// a newer Lathe is opened read-only (RunStore::openForReading): queries work, and every
    /// edit gets SchemaTooNew.
    explicit StoreClient(std::filesystem::path db, QObject *parent = nullptr);
    ~StoreClient() override;

    const std::filesystem::path &path() const { return m_path; }

    /// Runs `work(RunStore &)` on the store thread, then `done(result)` on `receiver`'s thread.
    /// `work` returns a Result<T> and must only read; when the store could not be opened,
    /// `done` gets that error without `work` running.
    template<typename Work, typename Done>
    void query(QObject *receiver, Work work, Done done)
    {
        using R = std::invoke_result_t<Work, track::RunStore &>;
        QPointer<QObject> target(receiver);
        post([this, target, work = std::move(work), done = std::move(done)]() mutable {
            answer(target, m_store ? work(*m_store) : R(std::unexpected(m_openError)),
                   std::move(done));
        });
    }

    /// As query(), for the sweeps and trials of the store: `work(RunStore &, SweepStore &)`
    /// runs on the store thread with the client's RunStore and a SweepStore the client opens
    /// there on first use (its own connection, kept until the client goes; the RunStore opened
    /// the file first, so it is not migrated again; one a newer Lathe wrote is opened
    /// read-only, SweepStore::openForReading). A store that could not be opened gives `done`
    /// that error without `work` running.
    template<typename Work, typename Done>
    void sweepQuery(QObject *receiver, Work work, Done done)
    {
        using R = std::invoke_result_t<Work, track::RunStore &, track::SweepStore &>;
        QPointer<QObject> target(receiver);
        post([this, target, work = std::move(work), done = std::move(done)]() mutable {
            track::SweepStore *sweeps = sweepStore();
            answer(target, sweeps ? work(*m_store, *sweeps) : R(std::unexpected(m_sweepError)),
                   std::move(done));
        });
    }

    /// Queues `edits` on the store's writer after every edit asked before (see
    /// StoreWriter::edit), then calls `done(result)` on `receiver`'s thread: success, or the
    /// error of the edit that failed (or that the store could not be opened).
    void edit(QObject *receiver, std::vector<track::RunEdit> edits,
              std::function<void(Result<void>)> done);

    /// Sets sweep `sweepId`'s status (SweepStore::setSweepStatus: the Sweep panel's Stop of a
    /// sweep another process runs; its workers see it and stop), then calls `done(result)` on
    /// `receiver`'s thread. Written on the store thread through its SweepStore, in one short
    /// transaction that waits for another writer as every write does: the StoreWriter's
    /// edits are run edits. A store that is read-only (a newer Lathe's) or could not be opened
    /// gets that error, and nothing is written.
    void setSweepStatus(QObject *receiver, std::int64_t sweepId, track::SweepStatus status,
                        std::function<void(Result<void>)> done);

    /// The checkpoints loaded for inspection from this store (made on first use), shared by
    /// every InspectSession on this client (the Visualise and Errors panels), so a checkpoint
    /// one panel loaded is not loaded again for the other. GUI thread only; the cache itself is
    /// thread-safe.
    std::shared_ptr<inspect_jobs::ModelCache> modelCache();

    /// Blocks until every query and edit asked so far has run (for tests and shutdown); the
    /// results of edits may still be on their way to their receivers.
    void drain();

private:
    void post(std::function<void()> task);
    /// The store thread's SweepStore, opened on first use; nullptr (m_sweepError says why)
    /// when it cannot be. Store thread only.
    track::SweepStore *sweepStore();

    /// Hands `result` to `done` on `target`'s thread, unless `target` is gone by then.
    template<typename R, typename Done>
    static void answer(const QPointer<QObject> &target, R result, Done done)
    {
        if (!target)
            return;
        auto shared = std::make_shared<R>(std::move(result));
        QMetaObject::invokeMethod(
            target,
            [target, shared, done = std::move(done)]() mutable {
                if (target)
                    done(std::move(*shared));
            },
            Qt::QueuedConnection);
    }

    std::filesystem::path m_path;
    QThread m_thread;
    QObject *m_worker = nullptr; ///< lives on m_thread; tasks run through its event queue
    std::unique_ptr<track::RunStore> m_store;     ///< touched only on m_thread
    std::unique_ptr<track::StoreWriter> m_writer; ///< created and destroyed on m_thread
    std::unique_ptr<track::SweepStore> m_sweeps;  ///< touched only on m_thread
    Error m_openError;
    Error m_sweepError; ///< why m_sweeps could not be opened (store thread only)
    std::shared_ptr<inspect_jobs::ModelCache> m_modelCache;
};

} // namespace lathe::panels
