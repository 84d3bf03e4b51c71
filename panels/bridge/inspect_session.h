#pragma once

#include "core/util/error.h"
#include "panels/bridge/inspect_types.h"

#include <QHash>
#include <QObject>
#include <QPointF>
#include <QThreadPool>

#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>

namespace lathe::panels {

class StoreClient;
namespace inspect_jobs {
class ModelCache;
}

/// The Qt face of core's inspection (core/inspect): lists a run's checkpoints, loads them,
/// renders feature maps, attributions and attention as images and computes the confusion
/// matrix, each as a job on a worker pool. Every request returns an id; its result, failure
/// (failed) or cancellation (cancelled) arrives later as a signal on the GUI thread carrying
/// that id, so a panel drops the results of requests it has superseded. Loaded checkpoints are
/// cached (a few, least recently used dropped, reloaded when the file is rewritten) in the
/// StoreClient's model cache, which every session on that client shares; one job uses a loaded
/// model at a time, since a Net is not thread-safe. Create, use and destroy on the GUI thread; the
/// destructor cancels every job and waits for them.
class InspectSession : public QObject
{
    Q_OBJECT

public:
    /// A session on `store`'s database, sharing its model cache; `store` outlives the session.
    explicit InspectSession(StoreClient &store, QObject *parent = nullptr);
    ~InspectSession() override;

    const std::filesystem::path &database() const { return m_db; }

    /// The checkpoints the store records for `runId` whose files exist, best and last first ->
    /// checkpointsListed (empty list when none).
    quint64 listCheckpoints(qint64 runId);
    /// Loads a checkpoint -> described (layers, classes, test-set size, attention).
    quint64 describe(const InspectKey &key);
    /// The sample's image, label and prediction -> sampleReady.
    quint64 inspectSample(const InspectKey &key, const InspectSample &sample);
    /// One view of the sample -> rendered. IG and occlusion can be cancelled mid-way.
    quint64 render(const InspectKey &key, const InspectSample &sample,
                   const InspectOptions &options);
    /// The confusion matrix on the run's test set -> progress..., errorsReady.
    quint64 computeErrors(const InspectKey &key);
    /// Accuracy under PGD (`steps` steps, one restart) at each of `epsilons` (pixel units; 0 is
    /// the clean accuracy) on the first `limit` test samples -> progress..., robustnessReady;
    /// stored as the run's "robustness" event (as lathe-cli robustness stores it). Cancellable.
    quint64 computeRobustness(const InspectKey &key, const QList<double> &epsilons, qint64 steps,
                              qint64 limit);
    /// Test images `indices` of the checkpoint's run -> testImagesReady (same order).
    quint64 loadTestImages(const InspectKey &key, const QList<qint64> &indices);

    /// Requests that job `id` stop; cancelled(id) follows unless it had already finished.
    void cancel(quint64 id);
    /// Cancels every job.
    void cancelAll();
    /// Jobs requested and not yet reported.
    int pendingCount() const { return int(m_stops.size()); }
    /// Blocks until the pool is idle and delivers nothing (tests, shutdown).
    void waitForIdle();

Q_SIGNALS:
    void checkpointsListed(quint64 id, qint64 runId,
                           const QList<lathe::panels::InspectCheckpoint> &list);
    void described(quint64 id, const lathe::panels::InspectModelInfo &info);
    void sampleReady(quint64 id, const lathe::panels::InspectSampleInfo &info);
    void rendered(quint64 id, const lathe::panels::InspectRender &render);
    void errorsReady(quint64 id, const lathe::panels::InspectErrors &errors);
    /// (epsilon, accuracy) in ascending epsilon, on `samples` test samples.
    void robustnessReady(quint64 id, const QList<QPointF> &points, qint64 samples);
    void testImagesReady(quint64 id, const QList<qint64> &indices, const QList<QImage> &images);
    /// Progress of a long job (errors: samples done of total), at most ~30 a second.
    void progress(quint64 id, qint64 done, qint64 total);
    void failed(quint64 id, const QString &message);
    void cancelled(quint64 id);

private:
    using ProgressFn = std::function<void(qint64, qint64)>;
    /// Runs `work(stop, progress)` on the pool, then `deliver(id, value)` on the GUI thread,
    /// or emits failed / cancelled.
    template<typename T>
    quint64 submit(std::function<Result<T>(std::stop_token, const ProgressFn &)> work,
                   std::function<void(quint64, T &)> deliver);
    void finish(quint64 id);

    std::filesystem::path m_db;
    QThreadPool m_pool;
    std::shared_ptr<inspect_jobs::ModelCache> m_cache;
    QHash<quint64, std::stop_source> m_stops;
    quint64 m_nextId = 0;
};

} // namespace lathe::panels
