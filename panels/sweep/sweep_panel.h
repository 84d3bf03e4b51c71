#pragma once

#include "core/train/run_config.h"
#include "panels/bridge/sweep_snapshot.h"

#include <QTimer>
#include <QWidget>

#include <cstdint>
#include <map>

class QComboBox;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTabWidget;

namespace lathe::panels {

class ImportanceBars;
class PlotWidget;
class StoreClient;
class SweepContourView;
class SweepLauncher;
class SweepParallelView;
class TrialTableModel;

/// The Sweep panel, a live view of the store's sweeps: a chooser (name, status,
/// trials done of the budget), and for the chosen sweep its trial table (number, state,
/// value, run, last intermediate value, one column per key; sortable), the objective over
/// trials (completed values, pruned trials at their last intermediate value, failed ones
/// marked, the best so far as a line), a slice (the objective against one key, log for a
/// log_uniform key), a contour (the objective over two keys), parallel coordinates of the keys
/// against the objective (brushing one selects those trials' runs: runsBrushed()) and the
/// parameter importance as bars (from three completed trials on). "Train best config"
/// hands the best trial's config to newRunFromConfig(), as the Runs panel does. Reads run on the
/// StoreClient's thread (StoreClient::sweepQuery), polled every second; an unchanged sweep costs
/// one read there and nothing here.
///
/// It also starts and stops sweeps: "Start sweep…" runs `lathe-cli sweep SPEC --db <this
/// store>` as a child process (SweepLauncher) and shows the new sweep when it is listed;
/// "Resume" runs `lathe-cli sweep resume ID` for a stopped sweep; "Stop" sends that process
/// SIGINT when it runs the shown sweep, else sets the sweep's status to stopped in the store
/// (StoreClient::setSweepStatus), which every worker, in any process, honours. Destroying the
/// panel (closing the window) stops a sweep it started and waits up to 5 s for it
/// (SweepLauncher). Failures show in a red line under the chooser.
///
/// Parts are found by object name: "sweepChooser", "sweepSummary", "sweepError", "startSweep",
/// "stopSweep", "resumeSweep", "sweepTrials", "sweepTabs", "sweepObjective", "sweepSliceKey",
/// "sweepSlice", "sweepContourX", "sweepContourY", "sweepContour", "sweepParallel",
/// "sweepImportance", "trainBestConfig". GUI thread only.
class SweepPanel : public QWidget
{
    Q_OBJECT

public:
    /// Reads through `store`, which must outlive the panel, and starts the first load.
    explicit SweepPanel(StoreClient &store, QWidget *parent = nullptr);
    ~SweepPanel() override;

    /// Poll period in ms; 0 stops polling.
    void setPollInterval(int ms);
    /// Reads the sweeps (and the chosen one) again now; coalesced with a read in flight.
    void refresh();
    /// The sweep shown (0 when none).
    qint64 sweepId() const;
    /// Shows sweep `id` (when it is listed).
    void showSweep(qint64 id);
    /// Runs lathe-cli from `path` instead of the one beside this program (tests).
    void setCliPath(const QString &path);
    /// The sweep last drawn; its info.id is 0 before any.
    const SweepSnapshot &snapshot() const { return m_snapshot; }
    TrialTableModel *trialModel() const { return m_model; }

public Q_SLOTS:
    /// Emits newRunFromConfig with the best trial's config (or says why it cannot).
    void trainBestConfig();
    /// Starts `lathe-cli sweep specPath --db <this store>` (unless a sweep this panel started
    /// still runs) and shows the new sweep once it is listed; failures in the error line.
    void startSweep(const QString &specPath);
    /// "Start sweep…": asks for a spec file (from the bundled resources/sweeps when it exists),
    /// then startSweep().
    void chooseAndStartSweep();
    /// Stops the shown sweep: SIGINT to the process when this panel started it, else its
    /// status set to stopped in the store.
    void stopSweep();
    /// Resumes the shown (stopped) sweep: `lathe-cli sweep resume ID --db <this store>`.
    void resumeSweep();

Q_SIGNALS:
    /// "Train best config": the best trial's full run config, validated.
    void newRunFromConfig(const lathe::train::RunConfig &config);
    /// A snapshot of the chosen sweep was drawn (after a change).
    void updated();
    /// Brushing in the parallel coordinates: the runs of the trials inside the brushes (empty
    /// when the brushes were taken away). The window selects them in the Runs panel.
    void runsBrushed(const QList<qint64> &runIds);
    /// A trial was double-clicked (or Enter pressed on it): its run, to select in the Runs
    /// panel.
    void trialRunActivated(qint64 runId);

private:
    void buildUi();
    /// Connects Start, Stop, Resume and the launcher's signals.
    void connectControls();
    void applyList(const std::vector<SweepListItem> &items);
    void loadSnapshot();
    void applySnapshot(SweepSnapshot snapshot);
    void updateObjective();
    /// Lists the keys of a newly shown sweep in the slice's chooser.
    void updateSliceKeys();
    /// The chosen key's slice: the completed trials' objective against that key's value.
    void updateSlice();
    void updateSummary();
    void showProblem(const QString &text);
    /// Lists the keys of a newly shown sweep in the contour's choosers: the first two.
    void updateContourKeys();
    /// Enables Start, Stop and Resume for the shown sweep and the launcher's process.
    void updateControls();
    /// The error line; empty hides it.
    void showError(const QString &text);

    StoreClient *m_store = nullptr;
    QTimer m_poll;
    bool m_loading = false;
    bool m_again = false;
    SweepSnapshot m_snapshot;
    std::map<qint64, int> m_totals; ///< sweep id -> trial budget, parsed once per sweep
    QComboBox *m_chooser = nullptr;
    QLabel *m_summary = nullptr;
    QPushButton *m_trainBest = nullptr;
    TrialTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_table = nullptr;
    QTabWidget *m_tabs = nullptr;
    PlotWidget *m_objective = nullptr;
    QComboBox *m_sliceKey = nullptr;
    PlotWidget *m_slice = nullptr;
    QComboBox *m_contourX = nullptr;
    QComboBox *m_contourY = nullptr;
    SweepContourView *m_contour = nullptr;
    SweepParallelView *m_parallel = nullptr;
    ImportanceBars *m_importance = nullptr;
    QLabel *m_error = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_stop = nullptr;
    QPushButton *m_resume = nullptr;
    SweepLauncher *m_launcher = nullptr;
    qint64 m_showWhenListed = 0; ///< the started sweep, chosen once it is listed
    qint64 m_stopAsked = 0;      ///< Stop was pressed for this sweep, still running
};

} // namespace lathe::panels
