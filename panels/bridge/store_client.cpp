#include "panels/bridge/store_client.h"

#include "panels/bridge/inspect_jobs.h"

#include <QSemaphore>

namespace lathe::panels {

StoreClient::StoreClient(std::filesystem::path db, QObject *parent)
    : QObject(parent)
    , m_path(std::move(db))
{
    m_thread.setObjectName("lathe-store");
    m_worker = new QObject;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
    post([this] {
        auto store = track::RunStore::openForReading(m_path);
        if (!store) {
            m_openError = store.error();
            return;
        }
        if (const auto &why = (*store)->readOnlyReason(); !why.empty()) {
            // A newer Lathe's store: browsed as it is, never migrated down, no writer.
            m_openError = Error{ErrorCode::SchemaTooNew,
                                why + " to change it; it is open read-only", m_path.string()};
            m_store = std::move(*store);
            return;
        }
        auto writer = track::StoreWriter::open(m_path);
        if (!writer) {
            m_openError = writer.error();
            return;
        }
        m_store = std::move(*store);
        m_writer = std::move(*writer);
    });
}

StoreClient::~StoreClient()
{
    // The writer's destructor applies the edits still queued before the connections close.
    post([this] {
        m_writer.reset();
        m_sweeps.reset();
        m_store.reset();
    });
    m_thread.quit();
    m_thread.wait();
}

void StoreClient::post(std::function<void()> task)
{
    QMetaObject::invokeMethod(m_worker, std::move(task), Qt::QueuedConnection);
}

track::SweepStore *StoreClient::sweepStore()
{
    if (m_sweeps)
        return m_sweeps.get();
    if (!m_store) {
        m_sweepError = m_openError;
        return nullptr;
    }
    // A newer Lathe's store is read as the runs are, read-only.
    auto sweeps = track::SweepStore::openForReading(m_path);
    if (!sweeps) {
        m_sweepError = sweeps.error();
        return nullptr;
    }
    m_sweeps = std::move(*sweeps);
    return m_sweeps.get();
}

void StoreClient::edit(QObject *receiver, std::vector<track::RunEdit> edits,
                       std::function<void(Result<void>)> done)
{
    // Told on the writer thread; handed to the GUI thread through this object, which outlives
    // the writer, and from there to the receiver if it still exists.
    auto deliver = [this, target = QPointer<QObject>(receiver),
                    done = std::move(done)](Result<void> result) mutable {
        QMetaObject::invokeMethod(
            this,
            [target, result = std::move(result), done]() mutable {
                if (target && done)
                    done(std::move(result));
            },
            Qt::QueuedConnection);
    };
    post([this, edits = std::move(edits), deliver = std::move(deliver)]() mutable {
        if (!m_writer)
            deliver(std::unexpected(m_openError));
        else
            m_writer->edit(std::move(edits), std::move(deliver));
    });
}

void StoreClient::setSweepStatus(QObject *receiver, std::int64_t sweepId, track::SweepStatus status,
                                 std::function<void(Result<void>)> done)
{
    QPointer<QObject> target(receiver);
    post([this, target, sweepId, status, done = std::move(done)]() mutable {
        // No writer: the store could not be opened, or it is read-only.
        Result<void> result = std::unexpected(m_openError);
        if (m_writer) {
            track::SweepStore *sweeps = sweepStore();
            result = sweeps ? sweeps->setSweepStatus(sweepId, status)
                            : Result<void>(std::unexpected(m_sweepError));
        }
        answer(target, std::move(result), std::move(done));
    });
}

std::shared_ptr<inspect_jobs::ModelCache> StoreClient::modelCache()
{
    if (!m_modelCache)
        m_modelCache = std::make_shared<inspect_jobs::ModelCache>(m_path);
    return m_modelCache;
}

void StoreClient::drain()
{
    QSemaphore done;
    post([this, &done] {
        if (!m_writer) {
            done.release();
            return;
        }
        m_writer->edit({}, [&done](Result<void>) { done.release(); });
    });
    done.acquire();
}

} // namespace lathe::panels
