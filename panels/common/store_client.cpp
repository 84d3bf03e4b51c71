#include "panels/common/store_client.h"

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
        auto store = track::RunStore::open(m_path);
        if (store)
            m_store = std::move(*store);
        else
            m_openError = store.error();
    });
}

StoreClient::~StoreClient()
{
    post([this] { m_store.reset(); });
    m_thread.quit();
    m_thread.wait();
}

void StoreClient::post(std::function<void()> task)
{
    QMetaObject::invokeMethod(m_worker, std::move(task), Qt::QueuedConnection);
}

void StoreClient::drain()
{
    QSemaphore done;
    post([&done] { done.release(); });
    done.acquire();
}

} // namespace lathe::panels
