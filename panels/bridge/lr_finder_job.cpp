#include "panels/bridge/lr_finder_job.h"

#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

namespace lathe::panels {

LrFinderJob::LrFinderJob(QObject *parent)
    : QObject(parent)
{
    connect(&m_watcher, &QFutureWatcherBase::finished, this, &LrFinderJob::onDone);
}

LrFinderJob::~LrFinderJob()
{
    m_stop.request_stop();
    m_watcher.disconnect(this);
    m_watcher.waitForFinished();
}

bool LrFinderJob::start(const train::RunConfig &config, const train::LrFinderOptions &options)
{
    if (isRunning())
        return false;
    m_stop = std::stop_source();
    QPointer<LrFinderJob> self(this);
    auto report = [self](const train::LrFinderPoint &point, std::int64_t step, std::int64_t steps) {
        // Queued to the GUI thread; dropped if the job is gone by then.
        QMetaObject::invokeMethod(
            self.data(),
            [self, point, step, steps] {
                if (self)
                    Q_EMIT self->progress(point.lr, point.loss, point.smoothedLoss, step, steps);
            },
            Qt::QueuedConnection);
    };
    m_watcher.setFuture(QtConcurrent::run([config, options, token = m_stop.get_token(), report] {
        return train::findLearningRate(config, options, token, report);
    }));
    return true;
}

void LrFinderJob::cancel()
{
    m_stop.request_stop();
}

bool LrFinderJob::isRunning() const
{
    return m_watcher.isRunning();
}

void LrFinderJob::onDone()
{
    const auto result = m_watcher.result();
    if (result)
        Q_EMIT finished(*result);
    else
        Q_EMIT failed(QString::fromStdString(result.error().toString()),
                      result.error().code == ErrorCode::Cancelled);
}

} // namespace lathe::panels
