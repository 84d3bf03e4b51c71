#pragma once

#include "core/train/run_config.h"
#include "panels/bridge/run_selection.h"
#include "panels/bridge/run_session.h"

#include <QMainWindow>

#include <filesystem>
#include <memory>
#include <optional>

class QAction;
class QKeySequence;
class QDockWidget;
class QLabel;
class QProgressBar;

namespace lathe::compare {
struct SideRef;
}

namespace lathe::data {
class Dataset;
}

namespace lathe::panels {

class CurvesPanel;
class DataParallelRun;
class DataParallelStatus;
class DatasetPanel;
class ErrorsPanel;
class HistogramsPanel;
class HyperparamsPanel;
class LogPanel;
class PluginPanels;
class RepeatRunner;
class RunsPanel;
class SessionLog;
class StoreClient;
class SweepPanel;
class VisualisePanel;

/// Where the workbench reads and writes.
struct WorkbenchOptions
{
    std::filesystem::path db;            ///< the experiment store
    std::filesystem::path defaultConfig; ///< the experiment shown on a first start
    bool restoreLayout = true;           ///< restore the saved dock layout (off in tests)
};

/// The workbench window: the panels as closable, movable docks (layout saved on close and
/// restored on start when it fits the screen; the window always opens inside its screen's
/// available geometry and its minimum size fits a 1366×768 screen: built-in panels scroll in
/// their docks rather than grow the window), menus and a toolbar for the run life cycle (New run,
/// Start, Pause, Resume, Steer, Stop), and a status bar with the active run's progress and ETA.
/// With the form's "Workers" above 1, Start trains the run data parallel in a lathe-cli child
/// process (DataParallelRun), followed through the store like a run from a terminal; the status
/// bar then shows the workers' step times (DataParallelStatus), and Pause is off.
/// Owns the RunSession that trains in this window and the one StoreClient every panel, built-in or
/// plugin, reads and writes the store through; panels are told what to show only through
/// their setSelection() (the run training here, the runs picked, the one inspected and the one
/// watched live). Plugins' panels are docked beside the built-in ones
/// (object name "plugin-panel-<name>") and follow the selected or training run; one that fails
/// is left out and named in the status bar and Help → Plugins. GUI thread only.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(WorkbenchOptions options, QWidget *parent = nullptr);
    ~MainWindow() override;

    RunSession &session() { return *m_session; }
    /// The data-parallel run the window starts with "Workers" above 1.
    DataParallelRun &dataParallelRun() { return *m_dataParallel; }
    DatasetPanel *datasetPanel() const { return m_dataset; }
    HyperparamsPanel *hyperparamsPanel() const { return m_hyperparams; }
    CurvesPanel *curvesPanel() const { return m_curves; }
    RunsPanel *runsPanel() const { return m_runs; }
    LogPanel *logPanel() const { return m_log; }
    VisualisePanel *visualisePanel() const { return m_visualise; }
    ErrorsPanel *errorsPanel() const { return m_errors; }
    HistogramsPanel *histogramsPanel() const { return m_histograms; }
    SweepPanel *sweepPanel() const { return m_sweeps; }
    /// The plugins' panels of this window and what failed of them.
    PluginPanels &pluginPanels() const { return *m_pluginPanels; }
    QDockWidget *dock(const QString &objectName) const;

    QAction *newRunAction() const { return m_newRun; }
    QAction *startAction() const { return m_start; }
    QAction *pauseAction() const { return m_pause; }
    QAction *resumeAction() const { return m_resume; }
    QAction *steerAction() const { return m_steer; }
    QAction *stopAction() const { return m_stop; }

    /// The status bar's text for the active run ("step 120 / 4,460 · ETA 3 min").
    QString statusText() const;
    /// The status bar's line for a data-parallel run (the active one, else the one watched):
    /// "2 workers · step 28 ms (slowest 31 ms) · comm 6 ms"; empty for a run of one process.
    QString dataParallelText() const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createPanels();
    void createPluginPanels(QDockWidget *tabWith);
    void setSelection(const RunSelection &selection);
    /// Puts `config` in the Hyperparameters form ("New run from this config", "Fine-tune from
    /// here", "Train best config") and says so in the status bar.
    void takeConfig(const train::RunConfig &config);
    /// Docks `panel`; a built-in one (`scrollable`) in a PanelScroller, so that its minimum
    /// size never pushes the window beyond a small screen.
    QDockWidget *addPanel(QWidget *panel, const QString &title, const QString &name,
                          Qt::DockWidgetArea area, bool scrollable = true);
    /// The available geometry of the screen the window is on.
    QRect availableArea() const;
    void createActions();
    /// Compare A/B…, Repeat ×N… and Start ×N…: whether a difference between runs is real.
    void createCompareActions();
    void createMenus();
    void createStatusBar();
    void connectSession();
    /// The data-parallel run's life in the window: its run followed, its end and failure said.
    void connectDataParallel();
    /// "Workers" above 1: Start trains the form's config with lathe-cli --nproc N.
    void startDataParallel();
    /// A run of this window trains: in its RunSession or in a data-parallel child process.
    bool runActive() const;
    /// Closing while a data-parallel run trains: asks, and stops it (true) or keeps the window
    /// open (false); true when none trains.
    bool confirmDataParallelClose();
    void connectInspection();
    /// Shows sample `index` of `samples` in Visualise for the inspected run.
    void showSample(std::shared_ptr<const data::Dataset> samples, qint64 index);
    void loadDefaultConfig();
    /// The Runs panel's action `name` (its object name), given the window's `keys`.
    QAction *runsAction(const char *name, const QList<QKeySequence> &keys) const;
    void openConfig();
    /// "Open model…": asks for a TorchScript file and makes the form train it.
    void openModel();
    /// "Import runs…": the import dialog (window_import.cpp); the Runs list reloads after.
    void importRuns();
    /// Saves the form's config to the file it was opened from or last saved to; asks for a
    /// file when `askForFile` or there is none.
    void saveConfig(bool askForFile);
    void startRun();
    void steerRun();
    /// "Compare A/B…" (the Runs panel's action): the dialog on sides `a` and `b`.
    void compareAB(const compare::SideRef &a, const compare::SideRef &b);
    /// "Repeat ×N…": asks N and K, then trains the selected run's config N times.
    void repeatSelected();
    /// "Start ×N…": the same for the form's config.
    void repeatForm();
    void newRun();
    void updateActions();
    /// Asks the store thread whether the store opened read-only; if so, says it in the title and
    /// the status bar and disables Start.
    void checkStoreAccess();
    void showProgress(const SessionProgress &progress);
    /// Empties the progress line (step, ETA) and hides the bar: the run has ended.
    void clearProgress();
    void resetLayout();
    void saveLayout() const;
    /// Restores the saved docks (unless they need more room than this screen has) and the
    /// saved geometry (unless it does not fit this screen: see fittedGeometry()).
    void restoreLayout();

    WorkbenchOptions m_options;
    /// Destroyed after the docks (deleted first thing in ~MainWindow), whose panels may still
    /// queue edits when they go.
    std::unique_ptr<StoreClient> m_store;
    RunSelection m_selection;
    RunSession *m_session = nullptr;
    DataParallelRun *m_dataParallel = nullptr;
    DataParallelStatus *m_dataParallelStatus = nullptr;
    QString m_readOnlyStore; ///< why the store is read-only (a newer Lathe's); empty if writable
    SessionLog *m_sessionLog = nullptr;
    DatasetPanel *m_dataset = nullptr;
    HyperparamsPanel *m_hyperparams = nullptr;
    CurvesPanel *m_curves = nullptr;
    RunsPanel *m_runs = nullptr;
    LogPanel *m_log = nullptr;
    VisualisePanel *m_visualise = nullptr;
    ErrorsPanel *m_errors = nullptr;
    HistogramsPanel *m_histograms = nullptr;
    SweepPanel *m_sweeps = nullptr;
    /// Destroyed before the docks their widgets are in (members go before the base's children).
    std::unique_ptr<PluginPanels> m_pluginPanels;
    QByteArray m_defaultLayout;

    QAction *m_newRun = nullptr;
    QAction *m_start = nullptr;
    QAction *m_pause = nullptr;
    QAction *m_resume = nullptr;
    QAction *m_steer = nullptr;
    QAction *m_stop = nullptr;
    QAction *m_openConfig = nullptr;
    QAction *m_openModel = nullptr;
    QAction *m_importRuns = nullptr;
    QAction *m_saveConfig = nullptr;
    QAction *m_saveConfigAs = nullptr;
    QAction *m_resetLayout = nullptr;
    QAction *m_shortcuts = nullptr;
    // The Runs panel's actions, also in the window's menus.
    QAction *m_undoDelete = nullptr;
    QAction *m_renameRun = nullptr;
    QAction *m_deleteRuns = nullptr;
    QAction *m_compareRuns = nullptr;
    QAction *m_newRunFromConfig = nullptr;
    QAction *m_resumeStopped = nullptr;
    QAction *m_fineTune = nullptr;
    QAction *m_exportRun = nullptr;
    QAction *m_compareAB = nullptr;
    QAction *m_repeatRun = nullptr;
    QAction *m_repeatForm = nullptr;
    RepeatRunner *m_repeater = nullptr; ///< in the status bar
    QString m_configPath;               ///< where Save config writes (empty: ask)

    QLabel *m_stateLabel = nullptr;
    QLabel *m_stepLabel = nullptr;
    QLabel *m_dataParallelLabel = nullptr; ///< the workers' step times
    QProgressBar *m_progressBar = nullptr;
    std::optional<SessionProgress> m_lastProgress;
};

} // namespace lathe::panels
