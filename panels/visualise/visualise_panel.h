#pragma once

#include "panels/bridge/inspect_types.h"
#include "panels/bridge/run_selection.h"

#include <QTimer>
#include <QWidget>

#include <memory>
#include <optional>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QFormLayout;

namespace lathe::panels {

class InspectImageView;
class InspectSession;
class StoreClient;

/// The Visualise panel: what a run's model sees and where it looks, for one sample and one
/// checkpoint. Modes: feature maps of any layer (colour map, per-channel or shared range, click
/// a tile to zoom into a channel), saliency, Grad-CAM (spatial layers only), Integrated
/// Gradients (steps, baseline, completeness error shown), occlusion and, for attention models,
/// the class token's attention per layer and head or rolled out across layers. Heatmaps are
/// drawn over the input with an opacity slider. A second checkpoint (of this run or of the
/// compare run) is shown side by side with the same settings. Every view is computed by an
/// InspectSession off the GUI thread, with a busy bar and Cancel; results of superseded
/// requests are dropped. GUI thread only.
class VisualisePanel : public QWidget
{
    Q_OBJECT

public:
    /// Inspects the runs of `store`'s database (which must outlive the panel).
    explicit VisualisePanel(StoreClient &store, QWidget *parent = nullptr);
    ~VisualisePanel() override;

    /// Shows the inspected run (its checkpoints are listed; "best" is picked; 0 clears the
    /// panel) and, while runs are selected, offers the compared run's checkpoints in the
    /// "Compare with" list.
    void setSelection(const lathe::panels::RunSelection &selection);
    /// Shows test sample `index` of run `runId` at `checkpoint`, switching from feature maps to
    /// saliency (the errors gallery opens a sample's attributions this way).
    void showTestSample(qint64 runId, const QString &checkpoint, qint64 index);
    /// Shows sample `index` of `dataset` (the Dataset panel's) instead of a test sample.
    void showDatasetSample(std::shared_ptr<const data::Dataset> dataset, qint64 index);
    /// Switches the view's mode (a disabled mode is refused: false).
    bool setMode(InspectMode mode);

    qint64 runId() const { return m_runId; }
    InspectMode mode() const;
    InspectSession *session() const { return m_session; }
    /// The latest view drawn for the primary checkpoint (empty before the first).
    const std::optional<InspectRender> &lastRender() const { return m_lastRender; }
    /// The latest model description (empty before the first load).
    const std::optional<InspectModelInfo> &modelInfo() const { return m_info; }
    /// True while a view or the sample is being computed.
    bool isBusy() const;
    // Its widgets are found by object name: "visualise-<part>" (checkpoint, compare, mode,
    // layers, colormap, normalization, target, sample, sample-text, opacity, ig-steps,
    // baseline, occlusion-window, head, completeness, status, cancel, view, compare-view).

Q_SIGNALS:
    /// A view of the primary checkpoint was drawn (or failed: see "visualise-status").
    void viewUpdated();
    /// The panel started (true) or stopped (false) computing something.
    void busyChanged(bool busy);

private:
    void setRun(qint64 runId);
    void setCompareRun(qint64 runId);
    void buildUi();
    QWidget *buildHeader();
    QWidget *buildControls();
    QWidget *buildOptions();
    QWidget *buildViews();
    void connectSession();
    void listCheckpoints(qint64 runId);
    void onCheckpointsListed(quint64 id, qint64 runId, const QList<InspectCheckpoint> &list);
    void onCheckpointChanged();
    void fillCompare();
    void onSampleReady(quint64 id, const InspectSampleInfo &info);
    void showPlaceholder(const QString &text);
    void onDescribed(quint64 id, const InspectModelInfo &info);
    void onModeChanged();
    void fillLayers();
    void updateOptionPages();
    void requestSample();
    void scheduleRender();
    void render();
    void onRendered(quint64 id, const InspectRender &result);
    void onFailed(quint64 id, const QString &message);
    void onCancelled(quint64 id);
    void cancel();
    void updateBusy();
    void showResult(InspectImageView *view, const InspectRender &result);
    InspectOptions options() const;
    std::optional<InspectKey> key() const;
    std::optional<InspectKey> compareKey() const;
    void setStatus(const QString &text);

    InspectSession *m_session = nullptr;
    qint64 m_runId = 0;
    qint64 m_compareRunId = 0;
    qint64 m_inspected = 0; ///< the inspected run of the last selection
    InspectSample m_sample;
    std::optional<InspectModelInfo> m_info;
    QList<InspectCheckpoint> m_checkpoints, m_compareCheckpoints;
    std::optional<InspectRender> m_lastRender;
    QString m_wantedCheckpoint; ///< picked when the list arrives ("best" by default)
    std::optional<InspectMode> m_wantedMode;
    quint64 m_listId = 0, m_compareListId = 0, m_describeId = 0, m_sampleId = 0;
    quint64 m_renderId = 0, m_compareRenderId = 0;
    QTimer m_renderDelay;
    bool m_wasBusy = false;
    std::optional<InspectMode> m_layersMode; ///< the mode the layer list was filled for

    QLabel *m_runLabel = nullptr;
    QComboBox *m_checkpoint = nullptr;
    QComboBox *m_compare = nullptr;
    QSpinBox *m_sampleSpin = nullptr;
    QLabel *m_thumbnail = nullptr;
    QLabel *m_sampleText = nullptr;
    QComboBox *m_mode = nullptr;
    QListWidget *m_layers = nullptr;
    QComboBox *m_colormap = nullptr;
    QComboBox *m_normalization = nullptr;
    QComboBox *m_target = nullptr;
    QSlider *m_opacity = nullptr;
    QSpinBox *m_igSteps = nullptr;
    QComboBox *m_baseline = nullptr;
    QSpinBox *m_occlusionWindow = nullptr;
    QDoubleSpinBox *m_epsilon = nullptr; ///< adversarial: pixel units
    QComboBox *m_head = nullptr;
    QLabel *m_completeness = nullptr;
    QFormLayout *m_optionsForm = nullptr;
    InspectImageView *m_view = nullptr;
    InspectImageView *m_compareView = nullptr;
    QLabel *m_viewCaption = nullptr;
    QLabel *m_compareCaption = nullptr;
    QWidget *m_compareBox = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_busy = nullptr;
    QPushButton *m_cancel = nullptr;
};

} // namespace lathe::panels
