#pragma once

#include "core/compare/environment_diff.h"
#include "panels/bridge/run_row.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QTabWidget;

namespace lathe::panels {

class ConfigDiffView;
class ParallelCoordsWidget;
class PlotWidget;
class StoreClient;

/// Side-by-side comparison of two or more runs, each drawn in its runColour(): their lineage
/// (which one was fine-tuned from which run), their final metrics and the config keys that
/// differ (ConfigDiffView), parallel coordinates of the numeric hyperparameters that differ
/// (all of them with "All keys") against a chosen metric, and the overlaid curves of that
/// metric. Reads through the panel's StoreClient; a newer showRuns() supersedes a comparison
/// still loading. At most 20 runs are compared. Its parts are named "configDiffView",
/// "parallelCoords", "allKeys", "compareCurves", "compareMetric" and "compareTabs". GUI thread
/// only.
class CompareView : public QWidget
{
    Q_OBJECT

public:
    /// The metric that colours the parallel coordinates and is plotted.
    enum Metric { BestValAccuracy, TestAccuracy, FinalTrainLoss };

    explicit CompareView(StoreClient &store, QWidget *parent = nullptr);

    /// Compares `runs` (in this order); fewer than two shows a hint instead.
    void showRuns(const std::vector<RunRow> &runs);
    Metric metric() const;
    void setMetric(Metric metric);

    /// "beta: fine-tuned from run 1 (alpha)", one line per compared run with a parent; empty
    /// when none has one.
    QString lineageText() const;
    /// "Same config, different CPU, host" with each run's values, when the compared runs'
    /// recorded environments differ (compare::environmentDiff); empty when they agree.
    QString environmentText() const;

Q_SIGNALS:
    /// A comparison finished loading and is on screen.
    void comparisonShown();

private:
    struct Loaded;
    void load();
    void apply(Loaded loaded);
    void updateCoords();
    void showEnvironment(const compare::EnvironmentDiff &diff);

    StoreClient &m_store;
    QLabel *m_title = nullptr;
    QLabel *m_lineage = nullptr;
    QLabel *m_environment = nullptr;
    QComboBox *m_metric = nullptr;
    QTabWidget *m_tabs = nullptr;
    ConfigDiffView *m_diff = nullptr;
    ParallelCoordsWidget *m_coords = nullptr;
    QCheckBox *m_allKeys = nullptr;
    PlotWidget *m_curves = nullptr;
    std::vector<RunRow> m_runs;
    std::vector<std::vector<std::pair<std::string, std::string>>> m_params;
    quint64 m_generation = 0;
};

} // namespace lathe::panels
