#pragma once

#include "panels/bridge/inspect_types.h"
#include "panels/bridge/run_selection.h"

#include <QWidget>

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
class RobustnessView;
class StoreClient;

/// The Errors panel: where a checkpoint fails on its run's test set, or on its validation
/// split when the run has none (said in the status line). Compute (with progress
/// and Cancel, off the GUI thread) fills the confusion matrix and the per-class precision,
/// recall and F1 table; clicking a cell lists its samples (thumbnail, true and predicted class,
/// confidence, loss; highest loss first, sortable by any column); double-clicking a sample
/// asks for its attributions (sampleActivated, validationSampleActivated). The Robustness tab
/// beside the samples attacks the same checkpoint (RobustnessView). GUI thread only.
class ErrorsPanel : public QWidget
{
    Q_OBJECT

public:
    /// Inspects the runs of `store`'s database (which must outlive the panel).
    explicit ErrorsPanel(StoreClient &store, QWidget *parent = nullptr);
    ~ErrorsPanel() override;

    /// Shows the inspected run: lists its checkpoints ("best" picked). 0 clears the panel.
    void setSelection(const lathe::panels::RunSelection &selection);
    qint64 runId() const { return m_runId; }
    /// The latest report (empty before the first Compute finishes).
    const std::optional<InspectErrors> &report() const { return m_report; }
    /// True while the report is being computed.
    bool isComputing() const { return m_computeId != 0; }
    /// True while the opened cell's thumbnails are being loaded.
    bool isLoadingThumbnails() const { return m_imagesId != 0; }
    /// The Robustness tab: the chosen checkpoint's accuracy against epsilon.
    RobustnessView *robustness() const { return m_robustness; }
    // Its parts are found by object name: "errors-<part>" (checkpoint, compute, cancel,
    // progress, matrix, metrics, gallery, gallery-model, gallery-title, status).

public Q_SLOTS:
    /// Computes the confusion matrix of the chosen checkpoint.
    void compute();
    /// Cancels the computation in progress.
    void cancel();
    /// Lists the samples of cell (label, predicted) in the gallery.
    void openCell(int label, int predicted);

Q_SIGNALS:
    /// A report arrived, or the computation failed or was cancelled (see "errors-status").
    void computeFinished();
    /// The user asked for the attributions of test sample `testIndex` of run `runId`.
    void sampleActivated(qint64 runId, const QString &checkpoint, qint64 testIndex);
    /// The same for sample `index` of `samples`, the validation split of a run without a test
    /// split (VisualisePanel::showDatasetSample shows it).
    void validationSampleActivated(std::shared_ptr<const lathe::data::Dataset> samples,
                                   qint64 index);

private:
    void setRun(qint64 runId);
    void buildUi();
    QWidget *buildHeader();
    void connectSession();
    void onCheckpointsListed(quint64 id, const QList<InspectCheckpoint> &list);
    void onErrors(quint64 id, const InspectErrors &errors);
    void onEnded(quint64 id, const QString &message);
    void fillMetrics(const InspectErrors &errors);
    void setComputing(bool on);

    StoreClient &m_store;
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
    RobustnessView *m_robustness = nullptr;
    QSortFilterProxyModel *m_galleryProxy = nullptr;
};

} // namespace lathe::panels
