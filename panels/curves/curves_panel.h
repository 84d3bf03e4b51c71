#pragma once

#include "panels/common/plot_widget.h"
#include "panels/bridge/run_selection.h"
#include "panels/bridge/store_client.h"
#include "panels/curves/curve_groups.h"
#include "panels/curves/curve_set.h"

#include <QList>
#include <QTimer>
#include <QWidget>

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;

namespace lathe::panels {

/// Live curves of runs: loss, accuracy, learning rate and samples/s of the runs picked in the
/// Runs table (of the active run when none is picked, or since it started), overlaid, each run in
/// its runColour() (val dashed), the view fitted to them whenever the set changes, read from the
/// store every ~500 ms (new rows only), so that runs written by another process (lathe-cli) update
/// live too. Controls: smoothing (debiased EMA on the full-resolution per-step training series;
/// validation and learning-rate curves stay raw), log-y, the x axis
/// (step, epoch, relative or wall time), PNG and CSV export. "steered" and "lr_reduced" events
/// are marked on the curves. The "Metric…" picker lists the other metrics the shown runs have
/// recorded (val/macro-f1, val/fairness/…), refreshed as they appear; picking one adds a chart
/// of it below the four, picking it again removes it. All charts zoom and pan together.
/// "Group" draws the shown runs by repeat group, sweep or a config key's value instead: one
/// centre line (mean or median) and band (std, std error, min-max or a 95% bootstrap interval)
/// per group, computed by stats::aggregateCurves on a worker thread (CurveGroups); where some
/// runs have ended the band holds the others, and the hover read-out says how many.
/// GUI thread only.
class CurvesPanel : public QWidget
{
    Q_OBJECT

public:
    /// Charts, in grid order.
    enum Chart { LossChart, AccuracyChart, LrChart, SpeedChart };

    /// Reads through `store` (which must outlive the panel; an error is shown in the panel's
    /// status line).
    explicit CurvesPanel(StoreClient &store, QWidget *parent = nullptr);
    ~CurvesPanel() override;

    PlotWidget *chart(Chart which) const { return m_charts[which]; }
    /// The chart added for the metric `key` with the picker; nullptr when there is none.
    /// dist/step_time_max and dist/step_time_mean share one: stepTimeChart().
    PlotWidget *metricChart(const QString &key) const;
    /// A data-parallel run's step time per worker: the slowest worker's (solid) and the mean
    /// (dashed) in one chart, so that a straggler is the gap between them. Added by itself the
    /// first time a shown run has recorded them (unless the user removed it with the picker);
    /// nullptr while there is none.
    PlotWidget *stepTimeChart() const { return metricChart(kStepTimeChart); }
    /// The key the step-time chart goes by in the picker's list of charts.
    static constexpr auto kStepTimeChart = "dist/step_time";
    /// The runs shown: the picked ones, in their order; the active run when none is picked
    /// (or it started after the pick).
    QList<qint64> shownRuns() const;
    /// Saves the four charts as one PNG; false (and a status message) when it cannot be written.
    bool exportPng(const QString &path);
    /// Writes every sample of the shown series as CSV on a worker thread; csvExported reports.
    void exportCsv(const QString &path);

public Q_SLOTS:
    /// Shows the selected runs, overlaid, or the active run (the one training in this
    /// window) when none is selected; a run that starts is shown alone until the selection
    /// changes.
    void setSelection(const lathe::panels::RunSelection &selection);
    /// Reads the store now (otherwise every ~500 ms).
    void refresh();

Q_SIGNALS:
    /// A poll's results were taken in (for tests and status displays).
    void updated();
    /// A CSV export finished: rows written, or an error message (rows = -1).
    void csvExported(qint64 rows, const QString &error);

private:
    QWidget *buildControls();
    QWidget *buildGroupControls();
    void applyGroupSettings();
    QString groupLegendNote() const;
    void drawBands(std::uint64_t keys);
    /// Every chart with the keys it shows.
    std::vector<std::pair<PlotWidget *, std::vector<int>>> chartsWithKeys() const;
    void buildCharts(QWidget *host);
    void updateShownRuns();
    void applyPoll(Result<std::vector<RunUpdate>> result);
    void redraw(std::uint64_t keys, bool markers);
    void updateMetricPicker();
    void toggleMetric(const QString &key);
    /// Adds the chart of `keys` (indices from CurveSet::addKey) as `key` below the others.
    void addMetricChart(const QString &key, std::vector<int> keys, const QString &title,
                        const QString &yTitle);
    /// Refills the grid below the four built-in charts, two a row, with no gap left.
    void layOutMetricCharts();
    /// Adds the step-time chart when a shown run has recorded per-worker step times.
    void showStepTimeChart();
    void styleChart(PlotWidget *chart, const QString &yTitle);
    std::vector<PlotWidget *> allCharts() const;
    void updateLegend();
    void updateStatus();
    void applyDisplay();
    void syncViews(PlotWidget *source);
    void askExportPng();
    void askExportCsv();

    StoreClient *m_store = nullptr;
    CurveSet m_curves;
    CurveGroups m_groups;
    QTimer m_timer;
    QList<qint64> m_selected; ///< the runs selected in the last setSelection()
    QList<qint64> m_picked;   ///< the runs shown: the selected ones, until a run starts
    qint64 m_active = 0;
    bool m_polling = false;
    bool m_pollAgain = false;
    bool m_syncing = false;
    bool m_stepTimeRemoved = false; ///< the user removed the step-time chart: not added again
    QString m_error;
    /// A chart added with the metric picker (one key), or the workers' step-time chart.
    struct MetricChart
    {
        QString key;           ///< the metric, or kStepTimeChart
        std::vector<int> keys; ///< into CurveSet::keys()
        PlotWidget *chart = nullptr;
        QString yTitle;
    };

    std::array<PlotWidget *, 4> m_charts{};
    std::vector<MetricChart> m_metricCharts;
    QWidget *m_chartHost = nullptr;
    QSlider *m_smoothing = nullptr;
    QLabel *m_smoothingValue = nullptr;
    QCheckBox *m_logY = nullptr;
    QComboBox *m_axis = nullptr;
    QComboBox *m_metricPicker = nullptr;
    QComboBox *m_groupBy = nullptr;
    QLineEdit *m_groupKey = nullptr;
    QComboBox *m_centre = nullptr;
    QComboBox *m_band = nullptr;
    QPushButton *m_exportPng = nullptr;
    QPushButton *m_exportCsv = nullptr;
    QLabel *m_legend = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace lathe::panels
