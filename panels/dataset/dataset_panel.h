#pragma once

#include "core/data/augment_config.h"

#include <QList>
#include <QString>
#include <QWidget>

#include <filesystem>
#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QListView;
class QProgressBar;
class QTabWidget;
class QToolButton;

namespace lathe::data {
class Dataset;
}

namespace lathe::panels {

class AugmentPreviewView;
class ClassHistogram;
class DatasetSource;
class SampleGridModel;
struct AugmentPreview;
class StatsView;

/// The Dataset panel: opens a dataset (Fashion-MNIST, an IDX pair, an image folder), shows
/// every sample in a virtualised thumbnail grid filterable by class, the class histogram, the
/// statistics (computed on a worker, with progress) and the augmentation preview of the
/// selected sample under the current config. Loading, statistics and previews run off the GUI
/// thread; errors are shown in the panel with the file named. GUI thread only.
class DatasetPanel : public QWidget
{
    Q_OBJECT

public:
    explicit DatasetPanel(QWidget *parent = nullptr);
    ~DatasetPanel() override;

    /// Loads Fashion-MNIST's train split from `fashionDir` (the main window calls it at
    /// start-up); it is also what "Open… > Fashion-MNIST (default)" reloads.
    void loadDefault(const std::filesystem::path &fashionDir);
    /// Loads an IDX image file and label file (what "Open… > IDX pair…" does after its
    /// dialogs).
    void openIdxPair(const std::filesystem::path &images, const std::filesystem::path &labels);
    /// Loads `<root>/<class>/<image>` (what "Open… > Image folder…" does after its dialog).
    void openImageFolder(const std::filesystem::path &root);
    /// Shows a dataset loaded elsewhere (a plugin's, the trainer's); samples without raw bytes
    /// get their thumbnails rendered on a worker.
    void setDataset(std::shared_ptr<const data::Dataset> dataset);
    /// The augmentation the preview uses: the exact training config of the hyperparameter form.
    void setAugment(const data::AugmentConfig &config);
    const data::AugmentConfig &augment() const { return m_augment; }

    /// The dataset shown (null until the first load finishes).
    std::shared_ptr<const data::Dataset> dataset() const;
    /// The dataset index the preview uses: the selected sample, else the first one shown.
    qint64 previewSample() const;

Q_SIGNALS:
    /// A dataset finished loading and is shown.
    void datasetLoaded(const QString &description, qint64 size);
    /// The user double-clicked the thumbnail of sample `index` (a dataset index).
    void sampleActivated(qint64 index);

private:
    QWidget *buildToolbar();
    QWidget *buildSidebar();
    void connectSource();
    void onLoaded();
    void onLoadFailed(const QString &message);
    void fillClassFilter();
    void onClassFilterChanged(int comboIndex);
    void showDuplicateGroup(const QList<qint64> &indices);
    void refreshPreview();
    void onPreviewReady(const AugmentPreview &preview);
    void showStatus(const QString &text, bool error);

    DatasetSource *m_source;
    SampleGridModel *m_model;
    QToolButton *m_open;
    QLabel *m_description;
    QComboBox *m_classFilter;
    QLabel *m_status;
    QProgressBar *m_loadProgress;
    QListView *m_grid;
    QTabWidget *m_tabs;
    ClassHistogram *m_histogram;
    StatsView *m_stats;
    AugmentPreviewView *m_preview;
    data::AugmentConfig m_augment;
    std::filesystem::path m_fashionDir;
    std::vector<qint64> m_duplicateGroup;
    quint64 m_seed = 1;
};

} // namespace lathe::panels
