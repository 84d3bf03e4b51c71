#pragma once

#include "core/data/augment_config.h"
#include "core/data/dataset_stats.h"

#include <QCache>
#include <QImage>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QThreadPool>

#include <filesystem>
#include <memory>
#include <stop_token>
#include <vector>

namespace lathe::data {
class Dataset;
}

namespace lathe::panels {

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
};

/// The augmentation preview of one sample: the original and each augmented copy, as images.
struct AugmentPreview
{
    qint64 index = -1;
    QImage original;
    QList<QImage> images;         ///< empty when augmentationOff
    bool augmentationOff = false; ///< the config disables augmentation (or every op is 0)
};

/// The Qt face of a core Dataset: loads one (Fashion-MNIST, an IDX pair, an image folder) on a
/// worker thread, then serves sample thumbnails, computes statistics and renders the
/// augmentation preview, all off the GUI thread, reporting through signals on the GUI thread.
/// A new load cancels the work of the previous dataset; results of superseded requests are
/// dropped. Create, use and destroy on the GUI thread; the destructor cancels and waits for the
/// workers.
class DatasetSource : public QObject
{
    Q_OBJECT

public:
    explicit DatasetSource(QObject *parent = nullptr);
    ~DatasetSource() override;

    /// Where Fashion-MNIST is installed by default (data::defaultFashionMnistDir).
    static std::filesystem::path defaultFashionDir();

    /// Loads Fashion-MNIST's train split from `dir` (see data::loadFashionMnist).
    void loadFashionMnist(const std::filesystem::path &dir);
    /// Loads an IDX image file and label file; classes are named "0".."K-1" (K = max label + 1).
    void loadIdxPair(const std::filesystem::path &images, const std::filesystem::path &labels);
    /// Loads `<root>/<class>/*.{png,jpg,jpeg,bmp}` (see data::loadImageFolder), with progress.
    void loadImageFolder(const std::filesystem::path &root);
    /// Shows a dataset loaded elsewhere (a plugin, the trainer's data); the summary is still
    /// computed on the worker, so loaded() follows later.
    void setDataset(std::shared_ptr<const data::Dataset> dataset);

    bool isLoading() const { return m_loading; }
    /// True once loaded() was emitted for the current dataset.
    bool isLoaded() const { return m_state != nullptr; }
    /// The current dataset's summary (empty before the first load).
    const DatasetSummary &summary() const { return m_summary; }
    /// The current dataset (null before the first load): hand it to the trainer or inspectors.
    std::shared_ptr<const data::Dataset> dataset() const;

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
    void loadProgress(qint64 done, qint64 total);
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
    template<typename Load>
    void startLoad(const QString &what, Load load);
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
    std::stop_source m_loadStop;
    std::stop_source m_statsStop;
    QCache<qint64, QList<QImage>> m_pages; ///< rendered pages for datasets without raw bytes
    QSet<qint64> m_pendingPages;
};

} // namespace lathe::panels
