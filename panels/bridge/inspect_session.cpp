#include "panels/bridge/inspect_session.h"

#include "core/robust/robustness_evaluation.h"

#include "panels/bridge/inspect_jobs.h"
#include "panels/bridge/signal_rate.h"
#include "panels/bridge/store_client.h"

#include <QElapsedTimer>
#include <QPointer>

#include <atomic>

namespace lathe::panels {

namespace {

constexpr int kPoolThreads = 2;
} // namespace

InspectSession::InspectSession(StoreClient &store, QObject *parent)
    : QObject(parent)
    , m_db(store.path())
    , m_cache(store.modelCache())
{
    qRegisterMetaType<InspectKey>();
    qRegisterMetaType<InspectModelInfo>();
    qRegisterMetaType<InspectSampleInfo>();
    qRegisterMetaType<InspectRender>();
    qRegisterMetaType<InspectErrors>();
    m_pool.setMaxThreadCount(kPoolThreads);
}

InspectSession::~InspectSession()
{
    cancelAll();
    m_pool.waitForDone();
}

template<typename T>
quint64 InspectSession::submit(std::function<Result<T>(std::stop_token, const ProgressFn &)> work,
                               std::function<void(quint64, T &)> deliver)
{
    const quint64 id = ++m_nextId;
    std::stop_source stop;
    m_stops.insert(id, stop);
    QPointer<InspectSession> self(this);
    m_pool.start([self, id, stop, work = std::move(work), deliver = std::move(deliver)] {
        QElapsedTimer sinceProgress;
        sinceProgress.start();
        const ProgressFn progress = [&](qint64 done, qint64 total) {
            if (done < total && sinceProgress.elapsed() < kSignalIntervalMs)
                return;
            sinceProgress.restart();
            QMetaObject::invokeMethod(
                self,
                [self, id, done, total] {
                    if (self && self->m_stops.contains(id))
                        Q_EMIT self->progress(id, done, total);
                },
                Qt::QueuedConnection);
        };
        auto result = std::make_shared<Result<T>>(
            stop.stop_requested() ? Result<T>(fail(ErrorCode::Cancelled, "cancelled"))
                                  : work(stop.get_token(), progress));
        QMetaObject::invokeMethod(
            self,
            [self, id, result, deliver] {
                if (!self || !self->m_stops.contains(id))
                    return;
                const bool stopped = self->m_stops.value(id).stop_requested();
                self->finish(id);
                if (stopped || (!*result && result->error().code == ErrorCode::Cancelled))
                    Q_EMIT self->cancelled(id);
                else if (!*result)
                    Q_EMIT self->failed(id, QString::fromStdString(result->error().toString()));
                else
                    deliver(id, **result);
            },
            Qt::QueuedConnection);
    });
    return id;
}

void InspectSession::finish(quint64 id)
{
    m_stops.remove(id);
}

quint64 InspectSession::listCheckpoints(qint64 runId)
{
    return submit<QList<InspectCheckpoint>>(
        [db = m_db, runId](std::stop_token, const ProgressFn &) {
            return inspect_jobs::listCheckpoints(db, runId);
        },
        [this, runId](quint64 id, QList<InspectCheckpoint> &list) {
            Q_EMIT checkpointsListed(id, runId, list);
        });
}

quint64 InspectSession::describe(const InspectKey &key)
{
    return submit<InspectModelInfo>(
        [cache = m_cache, key](std::stop_token, const ProgressFn &) -> Result<InspectModelInfo> {
            InspectModelInfo info;
            auto ok = cache->with(key, [&](train::OpenedRun &model) -> Result<void> {
                auto described = inspect_jobs::describe(model, key);
                if (!described)
                    return std::unexpected(described.error());
                info = std::move(*described);
                return {};
            });
            if (!ok)
                return std::unexpected(ok.error());
            return info;
        },
        [this](quint64 id, InspectModelInfo &info) { Q_EMIT described(id, info); });
}

quint64 InspectSession::inspectSample(const InspectKey &key, const InspectSample &sample)
{
    return submit<InspectSampleInfo>(
        [cache = m_cache, key, sample](std::stop_token,
                                       const ProgressFn &) -> Result<InspectSampleInfo> {
            InspectSampleInfo info;
            auto ok = cache->with(key, [&](train::OpenedRun &model) -> Result<void> {
                auto result = inspect_jobs::sampleInfo(model, sample);
                if (!result)
                    return std::unexpected(result.error());
                info = std::move(*result);
                return {};
            });
            if (!ok)
                return std::unexpected(ok.error());
            return info;
        },
        [this](quint64 id, InspectSampleInfo &info) { Q_EMIT sampleReady(id, info); });
}

quint64 InspectSession::render(const InspectKey &key, const InspectSample &sample,
                               const InspectOptions &options)
{
    return submit<InspectRender>(
        [cache = m_cache, key, sample, options](std::stop_token stop,
                                                const ProgressFn &) -> Result<InspectRender> {
            InspectRender out;
            auto ok = cache->with(key, [&](train::OpenedRun &model) -> Result<void> {
                if (stop.stop_requested())
                    return fail(ErrorCode::Cancelled, "cancelled");
                auto result = inspect_jobs::render(model, sample, options, stop);
                if (!result)
                    return std::unexpected(result.error());
                out = std::move(*result);
                return {};
            });
            if (!ok)
                return std::unexpected(ok.error());
            return out;
        },
        [this](quint64 id, InspectRender &result) { Q_EMIT rendered(id, result); });
}

quint64 InspectSession::computeErrors(const InspectKey &key)
{
    // A private copy of the model, so views of the same checkpoint stay responsive meanwhile.
    return submit<InspectErrors>(
        [cache = m_cache, key](std::stop_token stop,
                               const ProgressFn &progress) -> Result<InspectErrors> {
            auto model = cache->load(key);
            if (!model)
                return std::unexpected(model.error());
            return inspect_jobs::errors(*model, key, stop, progress);
        },
        [this](quint64 id, InspectErrors &errors) { Q_EMIT errorsReady(id, errors); });
}

quint64 InspectSession::computeRobustness(const InspectKey &key, const QList<double> &epsilons,
                                          qint64 steps, qint64 limit)
{
    robust::RobustnessOptions options;
    options.epsilons.assign(epsilons.begin(), epsilons.end());
    options.attack.steps = steps;
    options.limit = limit;
    using Points = std::pair<QList<QPointF>, qint64>;
    return submit<Points>(
        [cache = m_cache, key, options, db = m_db](std::stop_token stop,
                                                   const ProgressFn &progress) -> Result<Points> {
            auto model = cache->load(key);
            if (!model)
                return std::unexpected(model.error());
            auto points = robust::evaluateRobustness(*model, options, progress, stop);
            if (!points)
                return std::unexpected(points.error());
            auto payload = robust::robustnessJson(options, *points);
            payload["checkpoint"] = model->checkpoint.name;
            if (auto ok = robust::storeRobustness(db, model->run.id, payload); !ok)
                return std::unexpected(ok.error());
            Points out{{}, points->empty() ? 0 : points->front().samples};
            for (const auto &p : *points)
                out.first.append(QPointF(p.epsilon, p.accuracy));
            return out;
        },
        [this](quint64 id, Points &points) {
            Q_EMIT robustnessReady(id, points.first, points.second);
        });
}

quint64 InspectSession::loadTestImages(const InspectKey &key, const QList<qint64> &indices)
{
    return submit<QList<QImage>>(
        [cache = m_cache, key, indices](std::stop_token,
                                        const ProgressFn &) -> Result<QList<QImage>> {
            QList<QImage> images;
            auto ok = cache->with(key, [&](train::OpenedRun &model) -> Result<void> {
                auto result = inspect_jobs::testImages(model, indices);
                if (!result)
                    return std::unexpected(result.error());
                images = std::move(*result);
                return {};
            });
            if (!ok)
                return std::unexpected(ok.error());
            return images;
        },
        [this, indices](quint64 id, QList<QImage> &images) {
            Q_EMIT testImagesReady(id, indices, images);
        });
}

void InspectSession::cancel(quint64 id)
{
    auto it = m_stops.find(id);
    if (it != m_stops.end())
        it->request_stop();
}

void InspectSession::cancelAll()
{
    for (auto &stop : m_stops)
        stop.request_stop();
}

void InspectSession::waitForIdle()
{
    m_pool.waitForDone();
}

} // namespace lathe::panels
