#pragma once

#include "core/track/run_store.h"
#include "core/util/error.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <filesystem>
#include <functional>
#include <memory>
#include <type_traits>

namespace lathe::panels {

/// A read/write connection to the experiment store that lives on its own thread, so queries
/// never block the GUI thread. query() runs a function against the RunStore on that thread and
/// hands its result back to a QObject on that object's thread (dropped if the object is gone).
/// Requests run in the order they were made. Create, use and destroy on the GUI thread; the
/// destructor waits for the query in progress.
class StoreClient : public QObject
{
    Q_OBJECT

public:
    /// Opens `db` on the worker thread (a failure is reported to every later query as an
    /// Error naming the file; see openError()).
    explicit StoreClient(std::filesystem::path db, QObject *parent = nullptr);
    ~StoreClient() override;

    const std::filesystem::path &path() const { return m_path; }

    /// Runs `work(RunStore &)` on the store thread, then `done(result)` on `receiver`'s thread.
    /// `work` returns a Result<T>; when the store could not be opened, `done` gets that error
    /// without `work` running.
    template<typename Work, typename Done>
    void query(QObject *receiver, Work work, Done done)
    {
        using R = std::invoke_result_t<Work, track::RunStore &>;
        QPointer<QObject> target(receiver);
        post([this, target, work = std::move(work), done = std::move(done)]() mutable {
            auto result = std::make_shared<R>(m_store ? work(*m_store) : R(std::unexpected(m_openError)));
            if (!target)
                return;
            QMetaObject::invokeMethod(
                target, [target, result, done = std::move(done)]() mutable {
                    if (target)
                        done(std::move(*result));
                },
                Qt::QueuedConnection);
        });
    }

    /// Blocks until every request made so far has run (for tests and shutdown).
    void drain();

private:
    void post(std::function<void()> task);

    std::filesystem::path m_path;
    QThread m_thread;
    QObject *m_worker = nullptr; ///< lives on m_thread; tasks run through its event queue
    std::unique_ptr<track::RunStore> m_store; ///< touched only on m_thread
    Error m_openError;
};

} // namespace lathe::panels
