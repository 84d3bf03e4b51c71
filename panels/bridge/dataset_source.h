#pragma once

#include "core/data/augment_config.h"
#include "core/data/dataset_stats.h"
#include "core/util/error.h"

#include <QCache>
#include <QImage>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QThreadPool>

#include <functional>
#include <memory>
#include <stop_token>
#include <vector>

namespace lathe::data {
class Dataset;
}
namespace lathe::train {
struct DataConfig;
}

namespace lathe::panels {

/// One feature's values over the dataset, binned between its smallest and largest value.
struct FeatureHistogram
{
    QString name;
    double min = 0.0;
    double max = 0.0;
    QList<qint64> counts;             ///< samples per bin
    QList<QList<qint64>> classCounts; ///< [class][bin]: the same, per class
};

/// What the panels need to know about a loaded dataset, computed once on the worker. Plain
/// values, no tensors.
struct DatasetSummary
{
    QString description;
    qint64 size = 0;
    QStringList classNames;
    QList<qint64> classCounts; ///< one per class name
    int channels = 0;
    int height = 0;
    int width = 0;
    std::vector<int> labels; ///< class of each sample
    /// Samples are feature vectors [F,1,1] (a CSV table): shown as a table, not as images.
    bool tabular = false;
    QStringList featureNames;                  ///< F names when tabular (the dataset's attributes)
    QList<FeatureHistogram> featureHistograms; ///< one per feature when tabular
};

/// The augmentation preview of one sample: the original and each augmented copy, as images.
struct AugmentPreview
{
    qint64 index = -1;
    QImage original;
    QList<QImage> images;         ///< empty when augmentationOff
    bool augmentationOff = false; ///< the config disables augmentation (or every op is 0)
};

/// The Qt face of a core Dataset: reads one through the registry's readers (train::loadTrainData,
/// as a run does) on a worker thread, then serves sample thumbnails (or, for tabular data, the
/// feature values and their histograms), computes statistics and renders the augmentation
/// preview, all off the GUI thread, reporting through signals on the GUI thread. A new load
/// supersedes the previous one: results of superseded requests are dropped. Create, use and
/// destroy on the GUI thread; the destructor cancels and waits for the workers.
class DatasetSource : public QObject
{
    Q_OBJECT

public:
    explicit DatasetSource(QObject *parent = nullptr);
    ~DatasetSource() override;

    /// Reads the training split of `data` (reader data.dataset with data.path and data.options,
    /// cut to data.classes and data.subset) with train::loadTrainData; loaded() or loadFailed()
    /// (with the reader's message: the file, what was expected) follows.
    void open(const train::DataConfig &data);
    /// Shows a dataset loaded elsewhere (the trainer's data); the summary is still computed on
    /// the worker, so loaded() follows later.
    void setDataset(std::shared_ptr<const data::Dataset> dataset);

    bool isLoading() const { return m_loading; }
    /// True once loaded() was emitted for the current dataset.
    bool isLoaded() const { return m_state != nullptr; }
    /// The current dataset's summary (empty before the first load).
    const DatasetSummary &summary() const { return m_summary; }
    /// The current dataset (null before the first load): hand it to the trainer or inspectors.
    std::shared_ptr<const data::Dataset> dataset() const;

    /// Feature `feature` of sample `index` of a tabular dataset (NaN when out of range).
    double featureValue(qint64 index, int feature) const;
    /// Sample `index` at its natural size (Grayscale8 for 1 channel, RGB888 for 3). uint8
    /// in-memory datasets answer at once; others return a null image and render a page of
    /// samples on the worker, then emit thumbnailsReady. Null for an index out of range.
    QImage thumbnail(qint64 index);

    /// Computes data::DatasetStats on the worker, emitting statsProgress, then statsReady or
    /// statsFailed. Restarts when already running.
    void computeStats();
    /// Cancels the statistics in progress (statsFailed follows with "cancelled").
    void cancelStats();
    bool isComputingStats() const { return m_statsRunning; }

    /// Runs sample `index` through data::augmentBatch with `config`, `count` times with seeds
    /// seed, seed+1, ... on the worker; augmentationReady follows (only for the latest request).
    void previewAugmentation(qint64 index, const data::AugmentConfig &config, int count,
                             quint64 seed);

Q_SIGNALS:
    void loadStarted(const QString &what);
    void loaded();
    void loadFailed(const QString &message);
    void statsProgress(qint64 done, qint64 total);
    void statsReady(const lathe::data::DatasetStats &stats);
    void statsFailed(const QString &message);
    void thumbnailsReady(qint64 first, qint64 count);
    void augmentationReady(const lathe::panels::AugmentPreview &preview);

public:
    struct State; ///< the dataset and its raw pixels (defined in the .cpp, where torch is)
    struct LoadResult;

private:
    void startLoad(const QString &what,
                   std::function<Result<std::shared_ptr<const data::Dataset>>()> load);
    void finishLoad(quint64 generation, const std::shared_ptr<LoadResult> &result);
    void requestPage(qint64 page);
    /// Stops the statistics in progress without a signal (their result will be dropped).
    void stopStats();

    QThreadPool m_pool;
    std::shared_ptr<const State> m_state;
    DatasetSummary m_summary;
    quint64 m_generation = 0; ///< bumped per load: stale results are dropped
    quint64 m_statsGeneration = 0;
    quint64 m_previewGeneration = 0;
    bool m_loading = false;
    bool m_statsRunning = false;
    std::stop_source m_statsStop;
    QCache<qint64, QList<QImage>> m_pages; ///< rendered pages for datasets without raw bytes
    QSet<qint64> m_pendingPages;
};

} // namespace lathe::panels
