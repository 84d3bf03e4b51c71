#pragma once

#include "core/track/run_store.h"
#include "core/track/store_writer.h"
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
            auto result
                = std::make_shared<R>(m_store ? work(*m_store) : R(std::unexpected(m_openError)));
            if (!target)
                return;
            QMetaObject::invokeMethod(
                target,
                [target, result, done = std::move(done)]() mutable {
                    if (target)
                        done(std::move(*result));
                },
                Qt::QueuedConnection);
        });
    }

    /// Queues `edits` on the store's writer after every edit asked before (see
    /// StoreWriter::edit), then calls `done(result)` on `receiver`'s thread: success, or the
    /// error of the edit that failed (or that the store could not be opened).
    void edit(QObject *receiver, std::vector<track::RunEdit> edits,
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

    std::filesystem::path m_path;
    QThread m_thread;
    QObject *m_worker = nullptr; ///< lives on m_thread; tasks run through its event queue
    std::unique_ptr<track::RunStore> m_store;     ///< touched only on m_thread
    std::unique_ptr<track::StoreWriter> m_writer; ///< created and destroyed on m_thread
    Error m_openError;
    std::shared_ptr<inspect_jobs::ModelCache> m_modelCache;
};

} // namespace lathe::panels
