// DatasetSource's background jobs on a loaded dataset: statistics and the augmentation preview.

#include "panels/bridge/dataset_source.h"

#include "core/data/augment.h"
#include "panels/bridge/dataset_source_state.h"
#include "panels/bridge/sample_image.h"

#include <torch/torch.h>

#include <QtConcurrent>

namespace lathe::panels {

namespace {

bool augmentationOff(const data::AugmentConfig &config)
{
    return !config.enabled
           || (config.cropPadding == 0 && config.hflipProb == 0 && config.rotateDeg == 0
               && config.translateFrac == 0 && config.eraseProb == 0);
}

AugmentPreview renderPreview(const DatasetSource::State &state, qint64 index,
                             const data::AugmentConfig &config, int count, quint64 seed)
{
    AugmentPreview preview;
    preview.index = index;
    const torch::Tensor x
        = state.dataset->images(torch::tensor({std::int64_t(index)}, torch::kLong));
    preview.original = tensorToImage(x[0]);
    preview.augmentationOff = augmentationOff(config);
    if (preview.augmentationOff)
        return preview;
    for (int i = 0; i < count; ++i)
        preview.images << tensorToImage(data::augmentBatch(x, config, seed + quint64(i))[0]);
    return preview;
}

} // namespace

void DatasetSource::computeStats()
{
    if (!m_state)
        return;
    stopStats();
    m_statsStop = std::stop_source();
    const quint64 generation = ++m_statsGeneration;
    m_statsRunning = true;
    using StatsResult = Result<data::DatasetStats>;
    auto *watcher = new QFutureWatcher<StatsResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_statsGeneration)
            return;
        m_statsRunning = false;
        const StatsResult &result = watcher->result();
        if (result)
            Q_EMIT statsReady(*result);
        else
            Q_EMIT statsFailed(QString::fromStdString(result.error().toString()));
    });
    auto progress = [this, generation, throttle = std::make_shared<ProgressThrottle>()](
                        std::int64_t done, std::int64_t total) {
        if (!throttle->due(done, total))
            return;
        QMetaObject::invokeMethod(this, [this, generation, done, total] {
            if (generation == m_statsGeneration)
                Q_EMIT statsProgress(done, total);
        });
    };
    watcher->setFuture(
        QtConcurrent::run(&m_pool, [state = m_state, stop = m_statsStop.get_token(), progress] {
            return data::computeDatasetStats(*state->dataset, stop, progress);
        }));
}

void DatasetSource::stopStats()
{
    m_statsStop.request_stop();
    ++m_statsGeneration;
    m_statsRunning = false;
}

void DatasetSource::cancelStats()
{
    if (!m_statsRunning)
        return;
    stopStats();
    Q_EMIT statsFailed(tr("statistics cancelled"));
}

void DatasetSource::previewAugmentation(qint64 index, const data::AugmentConfig &config, int count,
                                        quint64 seed)
{
    if (!m_state || index < 0 || index >= m_summary.size)
        return;
    const quint64 generation = ++m_previewGeneration;
    auto *watcher = new QFutureWatcher<AugmentPreview>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation == m_previewGeneration)
            Q_EMIT augmentationReady(watcher->result());
    });
    watcher->setFuture(QtConcurrent::run(&m_pool, [state = m_state, index, config, count, seed] {
        try {
            return renderPreview(*state, index, config, count, seed);
        } catch (const std::exception &) {
            AugmentPreview failed;
            failed.index = index;
            return failed;
        }
    }));
}

} // namespace lathe::panels
