#pragma once

#include "panels/bridge/inspect_types.h"

#include <QWidget>

#include <filesystem>
#include <optional>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTableWidget;

namespace lathe::panels {

class ConfusionMatrixView;
class ErrorGalleryModel;
class InspectSession;

/// The Errors panel: where a checkpoint fails on its run's test set. Compute (with progress
/// and Cancel, off the GUI thread) fills the confusion matrix and the per-class precision,
/// recall and F1 table; clicking a cell lists its samples (thumbnail, true and predicted class,
/// confidence, loss; highest loss first, sortable by any column); double-clicking a sample
/// asks for its attributions (sampleActivated). GUI thread only.
class ErrorsPanel : public QWidget
{
    Q_OBJECT

public:
    explicit ErrorsPanel(std::filesystem::path db, QWidget *parent = nullptr);
    ~ErrorsPanel() override;

    /// Shows run `runId`: lists its checkpoints ("best" picked). 0 clears the panel.
    void setRun(qint64 runId);
    qint64 runId() const { return m_runId; }
    /// The latest report (empty before the first Compute finishes).
    const std::optional<InspectErrors> &report() const { return m_report; }
    /// True while the report is being computed.
    bool isComputing() const { return m_computeId != 0; }
    /// True while the opened cell's thumbnails are being loaded.
    bool isLoadingThumbnails() const { return m_imagesId != 0; }

    QComboBox *checkpointCombo() const { return m_checkpoint; }
    QPushButton *computeButton() const { return m_compute; }
    QPushButton *cancelButton() const { return m_cancel; }
    QProgressBar *progressBar() const { return m_progress; }
    ConfusionMatrixView *matrixView() const { return m_matrix; }
    QTableWidget *metricsTable() const { return m_metrics; }
    QTableView *galleryView() const { return m_gallery; }
    ErrorGalleryModel *galleryModel() const { return m_galleryModel; }
    QLabel *statusLabel() const { return m_status; }
    QLabel *galleryLabel() const { return m_galleryTitle; }

public Q_SLOTS:
    /// Computes the confusion matrix of the chosen checkpoint.
    void compute();
    /// Cancels the computation in progress.
    void cancel();
    /// Lists the samples of cell (label, predicted) in the gallery.
    void openCell(int label, int predicted);

Q_SIGNALS:
    /// A report arrived, or the computation failed or was cancelled (see statusLabel()).
    void computeFinished();
    /// The user asked for the attributions of test sample `testIndex` of run `runId`.
    void sampleActivated(qint64 runId, const QString &checkpoint, qint64 testIndex);

private:
    void buildUi();
    QWidget *buildHeader();
    void connectSession();
    void onCheckpointsListed(quint64 id, const QList<InspectCheckpoint> &list);
    void onErrors(quint64 id, const InspectErrors &errors);
    void onEnded(quint64 id, const QString &message);
    void fillMetrics(const InspectErrors &errors);
    void setComputing(bool on);

    InspectSession *m_session = nullptr;
    qint64 m_runId = 0;
    quint64 m_listId = 0, m_computeId = 0, m_imagesId = 0;
    std::optional<InspectErrors> m_report;

    QLabel *m_runLabel = nullptr;
    QComboBox *m_checkpoint = nullptr;
    QPushButton *m_compute = nullptr;
    QPushButton *m_cancel = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    ConfusionMatrixView *m_matrix = nullptr;
    QTableWidget *m_metrics = nullptr;
    QLabel *m_galleryTitle = nullptr;
    QTableView *m_gallery = nullptr;
    ErrorGalleryModel *m_galleryModel = nullptr;
    QSortFilterProxyModel *m_galleryProxy = nullptr;
};

} // namespace lathe::panels
