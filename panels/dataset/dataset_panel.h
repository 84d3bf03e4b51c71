#pragma once

#include "core/data/augment_config.h"
#include "core/train/run_config.h"

#include <QList>
#include <QString>
#include <QWidget>

#include <filesystem>
#include <memory>
#include <vector>

class QAbstractItemView;
class QComboBox;
class QLabel;
class QListView;
class QProgressBar;
class QStackedWidget;
class QTableView;
class QTabWidget;
class QToolButton;

namespace lathe::data {
class Dataset;
}

namespace lathe::panels {

class AugmentPreviewView;
class ClassHistogram;
class DatasetSource;
class FeatureHistograms;
class SampleGridModel;
class SampleTableModel;
struct AugmentPreview;
class StatsView;

/// The Dataset panel: opens a dataset through the registry's readers exactly as a run config
/// names it (Fashion-MNIST, an IDX pair, an image folder, a plugin's reader such as csv), shows
/// image samples in a virtualised thumbnail grid and tabular samples ([F,1,1]) in a table with
/// per-feature histograms, both filterable by class, the class histogram, the statistics
/// (computed on a worker, with progress) and the augmentation preview of the selected image
/// under the current config. Loading, statistics and previews run off the GUI thread; errors
/// are shown in the panel with the file named. GUI thread only.
class DatasetPanel : public QWidget
{
    Q_OBJECT

public:
    explicit DatasetPanel(QWidget *parent = nullptr);
    ~DatasetPanel() override;

    /// Reads the training split of `data` (reader data.dataset, data.path, data.options) as a
    /// run would; what the main window calls with the form's config and what the Open… menu
    /// entries do (Open dataset… with the reader chosen, IDX pair… with "idx", Image folder…
    /// with "image-folder").
    void openDataset(const train::DataConfig &data);
    /// openDataset(`data`) unless the panel shows (or is loading) that data already: the same
    /// reader, path, options, classes and limits. What the main window calls when the
    /// hyperparameter form's data changes, so the panel shows what the next run trains on.
    void showData(const train::DataConfig &data);
    /// Shows a dataset loaded elsewhere (a plugin's, the trainer's); samples without raw bytes
    /// get their thumbnails rendered on a worker.
    void setDataset(std::shared_ptr<const data::Dataset> dataset);
    /// The augmentation the preview uses: the exact training config of the hyperparameter form.
    void setAugment(const data::AugmentConfig &config);
    /// The store the Quality tab's K-fold trainings are stored in (the window's); empty (the
    /// default): they are not stored.
    void setStorePath(const std::filesystem::path &db) { m_storePath = db; }
    const data::AugmentConfig &augment() const { return m_augment; }

    /// The dataset shown (null until the first load finishes).
    std::shared_ptr<const data::Dataset> dataset() const;
    /// The dataset index the preview uses: the selected sample, else the first one shown.
    qint64 previewSample() const;

Q_SIGNALS:
    /// A dataset finished loading and is shown.
    void datasetLoaded(const QString &description, qint64 size);
    /// The user opened `data` through the Open… menu and it loaded: the dataset the next run
    /// should train on (the main window hands it to HyperparamsPanel::useData). Not emitted for
    /// openDataset() and setDataset() calls.
    void dataOpened(const lathe::train::DataConfig &data);
    /// The user double-clicked the thumbnail of sample `index` (a dataset index).
    void sampleActivated(qint64 index);

private:
    QWidget *buildToolbar();
    QWidget *buildSidebar();
    /// The Quality tab: duplicates and suspected label issues, computed by a QualityJob.
    QWidget *buildQualityTab();
    void connectSource();
    /// Opens `data` at the user's request: dataOpened() follows when it loads.
    void openChosen(const train::DataConfig &data);
    void openWithDialog();
    void onLoaded();
    void onLoadFailed(const QString &message);
    void fillClassFilter();
    void onClassFilterChanged(int comboIndex);
    void showDuplicateGroup(const QList<qint64> &indices);
    void refreshPreview();
    void onPreviewReady(const AugmentPreview &preview);
    void showStatus(const QString &text, bool error);
    /// The view showing the samples now: the table for tabular data, else the grid.
    QAbstractItemView *sampleView() const;
    void activate(const QModelIndex &index);

    DatasetSource *m_source;
    SampleGridModel *m_model;
    SampleTableModel *m_tableModel;
    QStackedWidget *m_views;
    QToolButton *m_open;
    QLabel *m_description;
    QComboBox *m_classFilter;
    QLabel *m_status;
    QProgressBar *m_loadProgress;
    QListView *m_grid;
    QTableView *m_table;
    QTabWidget *m_tabs;
    ClassHistogram *m_histogram;
    FeatureHistograms *m_features;
    QWidget *m_featuresTab;
    StatsView *m_stats;
    AugmentPreviewView *m_preview;
    data::AugmentConfig m_augment;
    train::DataConfig m_data; ///< what was opened last (the dialog starts from it)
    std::filesystem::path m_storePath;
    bool m_chosen = false; ///< m_data was opened by the user (see dataOpened())
    std::vector<qint64> m_duplicateGroup;
    quint64 m_seed = 1;
};

} // namespace lathe::panels
