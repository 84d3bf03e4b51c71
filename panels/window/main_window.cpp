#include "panels/window/main_window.h"

#include "panels/bridge/plugin_panels.h"
#include "panels/curves/curves_panel.h"
#include "panels/dataset/dataset_panel.h"
#include "panels/bridge/store_client.h"
#include "panels/errors/errors_panel.h"
#include "panels/histograms/histograms_panel.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/log/log_panel.h"
#include "panels/runs/repeat_runner.h"
#include "panels/runs/runs_panel.h"
#include "panels/sweep/sweep_panel.h"
#include "panels/visualise/visualise_panel.h"
#include "panels/window/data_parallel_run.h"
#include "panels/window/data_parallel_status.h"
#include "panels/window/panel_scroller.h"
#include "panels/window/session_log.h"
#include "panels/window/steer_dialog.h"
#include "panels/window/window_geometry.h"

#include <spdlog/spdlog.h>

#include <QAction>
#include <QCloseEvent>
#include <QGuiApplication>
#include <QLocale>
#include <QDockWidget>
#include <QLabel>
#include <QLayout>
#include <QMessageBox>
#include <QProgressBar>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>

#include <cmath>

namespace lathe::panels {

namespace {

QString remainingText(double seconds)
{
    if (seconds < 0)
        return QObject::tr("estimating…");
    const auto s = qint64(seconds + 0.5);
    if (s < 60)
        return QObject::tr("%1 s").arg(s);
    if (s < 3600)
        return QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
    return QObject::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QChar('0'));
}

} // namespace

MainWindow::MainWindow(WorkbenchOptions options, QWidget *parent)
    : QMainWindow(parent)
    , m_options(std::move(options))
{
    setWindowTitle(tr("Lathe — %1").arg(QString::fromStdString(m_options.db.string())));
    setDockNestingEnabled(true);
    m_store = std::make_unique<StoreClient>(m_options.db);
    m_session = new RunSession(m_options.db, this);
    m_dataParallel = new DataParallelRun(m_options.db, this);
    createPanels();
    createActions();
    createMenus();
    createStatusBar();
    connectSession();
    connectDataParallel();
    if (const auto failures = m_pluginPanels->failures(); !failures.isEmpty())
        statusBar()->showMessage(failures.join("  ·  "), 20000);
    // The layout settles before the window is sized: its minimum is final only once every
    // dock has its place.
    layout()->activate();
    setGeometry(fittedGeometry(availableArea(), {}, minimumSizeHint()));
    // Relative sizes: the form a third, the curves the rest (their toolbar needs ~800 px).
    resizeDocks({dock("dock-hyperparams"), dock("dock-curves")}, {420, 1020}, Qt::Horizontal);
    // The Runs table keeps a few rows on a 768-px screen (Compare asks for more when opened).
    resizeDocks({dock("dock-curves"), dock("dock-runs")}, {520, 340}, Qt::Vertical);
    m_defaultLayout = saveState();
    if (m_options.restoreLayout)
        restoreLayout();
    loadDefaultConfig();
    updateActions();
    checkStoreAccess();
}

void MainWindow::checkStoreAccess()
{
    m_store->query(
        this, [](track::RunStore &store) { return Result<std::string>(store.readOnlyReason()); },
        [this](const Result<std::string> &why) {
            if (!why || why->empty())
                return;
            m_readOnlyStore = QString::fromStdString(*why);
            setWindowTitle(tr("%1 (read-only)").arg(windowTitle()));
            auto *label = new QLabel(tr("Read-only store"), this);
            label->setObjectName("status-read-only");
            label->setStyleSheet("QLabel { color: #b00020; font-weight: bold; }");
            label->setToolTip(tr("%1. Runs can be browsed, compared, inspected and exported; "
                                 "training, renaming, tagging and deleting need that newer "
                                 "Lathe.")
                                  .arg(m_readOnlyStore));
            statusBar()->addPermanentWidget(label);
            m_stateLabel->setText(tr("This store was written by a newer Lathe: read-only"));
            updateActions();
        });
}

MainWindow::~MainWindow()
{
    m_pluginPanels.reset(); // the plugins' panels go first, while the window is whole
    // Then the built-in ones (their last edits are queued on the store's writer), then m_store.
    qDeleteAll(findChildren<QDockWidget *>(Qt::FindDirectChildrenOnly));
}

QDockWidget *MainWindow::addPanel(QWidget *panel, const QString &title, const QString &name,
                                  Qt::DockWidgetArea area, bool scrollable)
{
    auto *dock = new QDockWidget(title, this);
    dock->setObjectName(name);
    dock->setWidget(scrollable ? new PanelScroller(panel) : panel);
    dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable
                      | QDockWidget::DockWidgetFloatable);
    addDockWidget(area, dock);
    return dock;
}

void MainWindow::createPanels()
{
    m_hyperparams = new HyperparamsPanel(this);
    m_dataset = new DatasetPanel(this);
    m_dataset->setStorePath(m_store->path()); // the Quality tab's K-fold runs
    m_curves = new CurvesPanel(*m_store, this);
    m_runs = new RunsPanel(*m_store, this);
    m_log = new LogPanel(this);
    m_visualise = new VisualisePanel(*m_store, this);
    m_errors = new ErrorsPanel(*m_store, this);
    m_histograms = new HistogramsPanel(*m_store, this);
    m_sweeps = new SweepPanel(*m_store, this);

    // Left column: the form and the data, full height. Right: the curves over the runs table.
    auto *hyper = addPanel(m_hyperparams, tr("Hyperparameters"), "dock-hyperparams",
                           Qt::LeftDockWidgetArea);
    auto *data = addPanel(m_dataset, tr("Dataset"), "dock-dataset", Qt::LeftDockWidgetArea);
    auto *curves = addPanel(m_curves, tr("Live curves"), "dock-curves", Qt::RightDockWidgetArea);
    auto *runs = addPanel(m_runs, tr("Runs"), "dock-runs", Qt::RightDockWidgetArea);
    auto *log = addPanel(m_log, tr("Log"), "dock-log", Qt::RightDockWidgetArea);
    auto *visualise
        = addPanel(m_visualise, tr("Visualise"), "dock-visualise", Qt::RightDockWidgetArea);
    auto *errors = addPanel(m_errors, tr("Errors"), "dock-errors", Qt::RightDockWidgetArea);
    auto *histograms
        = addPanel(m_histograms, tr("Histograms"), "dock-histograms", Qt::RightDockWidgetArea);
    auto *sweeps = addPanel(m_sweeps, tr("Sweeps"), "dock-sweeps", Qt::RightDockWidgetArea);
    splitDockWidget(curves, runs, Qt::Vertical);
    tabifyDockWidget(hyper, data);
    tabifyDockWidget(runs, log);
    tabifyDockWidget(curves, visualise);
    tabifyDockWidget(curves, errors);
    tabifyDockWidget(curves, histograms);
    tabifyDockWidget(curves, sweeps);
    createPluginPanels(curves);
    hyper->raise();
    runs->raise();
    curves->raise();
    connectInspection();

    connect(m_hyperparams, &HyperparamsPanel::validityChanged, this, &MainWindow::updateActions);
    connect(m_hyperparams, &HyperparamsPanel::configChanged, this,
            [this](const train::RunConfig &config) { m_dataset->setAugment(config.augment); });
    // The dataset the user opens is the one the next run trains on, and the other way round.
    connect(m_dataset, &DatasetPanel::dataOpened, m_hyperparams, &HyperparamsPanel::useData);
    connect(m_hyperparams, &HyperparamsPanel::dataReadable, m_dataset, &DatasetPanel::showData);
    connect(m_runs, &RunsPanel::resumeRequested, this, [this](qint64 runId) {
        if (!m_session->resumeRun(runId))
            statusBar()->showMessage(tr("A run is already training in this window"), 5000);
    });
    // The Compare tab needs height: the Runs dock grows, as far as the docks above allow.
    connect(m_runs, &RunsPanel::compareRoomWanted, this, [this](int height) {
        QDockWidget *curves = dock("dock-curves");
        QDockWidget *runs = dock("dock-runs");
        const int total = curves->height() + runs->height();
        if (runs->height() < height)
            resizeDocks({curves, runs}, {std::max(total - height, total / 3), height},
                        Qt::Vertical);
    });
    connect(m_runs, &RunsPanel::newRunFromConfig, this, &MainWindow::takeConfig);
    // Brushing the sweep's parallel coordinates selects those trials' runs (and so overlays
    // their curves).
    connect(m_sweeps, &SweepPanel::runsBrushed, this, [this](const QList<qint64> &ids) {
        m_runs->selectRuns(ids);
        dock("dock-runs")->raise();
    });
    connect(m_sweeps, &SweepPanel::trialRunActivated, this, [this](qint64 runId) {
        m_runs->selectRuns({runId});
        dock("dock-runs")->raise();
    });
    // "New sweep…" of the form: the spec it saved runs in the Sweeps panel, in sight.
    connect(m_hyperparams, &HyperparamsPanel::sweepStartRequested, this,
            [this](const QString &specPath) {
                m_sweeps->startSweep(specPath);
                dock("dock-sweeps")->raise();
            });
    connect(m_sweeps, &SweepPanel::newRunFromConfig, this, [this](const train::RunConfig &config) {
        takeConfig(config);
        statusBar()->showMessage(tr("The form holds the best trial's config: press Start to "
                                    "train it, or edit it first (more epochs, no step limit)"),
                                 8000);
    });
}

void MainWindow::takeConfig(const train::RunConfig &config)
{
    m_hyperparams->setConfig(config);
    dock("dock-hyperparams")->raise();
    if (!config.finetune.run.empty())
        statusBar()->showMessage(
            tr("The form holds a fine-tune of run %1 from its %2: edit it (freeze, LoRA, "
               "epochs) and press Start")
                .arg(QString::fromStdString(config.finetune.run),
                     config.finetune.checkpoint.empty()
                         ? tr("best checkpoint (else its last)")
                         : tr("checkpoint \"%1\"")
                               .arg(QString::fromStdString(config.finetune.checkpoint))),
            8000);
    else
        statusBar()->showMessage(tr("The form holds the config of the chosen run: press "
                                    "Start to train it again, or edit it first"),
                                 8000);
}

void MainWindow::createPluginPanels(QDockWidget *tabWith)
{
    m_pluginPanels = std::make_unique<PluginPanels>(*m_store);
    for (auto &panel : m_pluginPanels->panels()) {
        auto *dock = addPanel(panel.widget, panel.title, "plugin-panel-" + panel.name,
                              Qt::RightDockWidgetArea, false);
        dock->toggleViewAction()->setToolTip(tr("From plugin %1").arg(panel.plugin));
        tabifyDockWidget(tabWith, dock);
    }
    connect(m_pluginPanels.get(), &PluginPanels::failed, this,
            [this](const QString &message) { statusBar()->showMessage(message, 20000); });
}

void MainWindow::setSelection(const RunSelection &selection)
{
    m_selection = selection;
    m_curves->setSelection(selection);
    m_visualise->setSelection(selection);
    m_errors->setSelection(selection);
    m_histograms->setSelection(selection);
    m_pluginPanels->setSelection(selection);
    if (m_dataParallelStatus)
        m_dataParallelStatus->follow(selection.active != 0 ? selection.active : selection.watched);
    updateActions(); // Repeat follows the run picked
}

void MainWindow::connectInspection()
{
    // The picked runs are overlaid; the first is inspected and watched (a second one is offered
    // for side-by-side views); an empty pick keeps the inspected run.
    connect(m_runs, &RunsPanel::selectionChanged, this, [this](const QList<qint64> &ids) {
        RunSelection selection = m_selection;
        selection.selected = ids;
        if (!ids.isEmpty())
            selection.inspected = selection.watched = ids.first();
        setSelection(selection);
    });
    connect(m_runs, &RunsPanel::runActivated, this, [this](qint64 runId) {
        RunSelection selection = m_selection;
        selection.inspected = selection.watched = runId;
        setSelection(selection);
        dock("dock-visualise")->show();
        dock("dock-visualise")->raise();
    });
    // The Dataset panel shows the default experiment's TRAIN split: its samples go to
    // Visualise as images, not as test indices.
    connect(m_dataset, &DatasetPanel::sampleActivated, this,
            [this](qint64 index) { showSample(m_dataset->dataset(), index); });
    // Errors on a run without a test split lists validation samples: images too.
    connect(m_errors, &ErrorsPanel::validationSampleActivated, this, &MainWindow::showSample);
    connect(m_errors, &ErrorsPanel::sampleActivated, this,
            [this](qint64 runId, const QString &checkpoint, qint64 index) {
                m_visualise->showTestSample(runId, checkpoint, index);
                dock("dock-visualise")->show();
                dock("dock-visualise")->raise();
            });
}

void MainWindow::showSample(std::shared_ptr<const data::Dataset> samples, qint64 index)
{
    if (m_visualise->runId() == 0) {
        statusBar()->showMessage(tr("Select a run in the Runs panel to inspect a sample"), 5000);
        return;
    }
    m_visualise->showDatasetSample(std::move(samples), index);
    dock("dock-visualise")->show();
    dock("dock-visualise")->raise();
}

QDockWidget *MainWindow::dock(const QString &objectName) const
{
    return findChild<QDockWidget *>(objectName);
}

void MainWindow::createStatusBar()
{
    m_stateLabel = new QLabel(this);
    m_stepLabel = new QLabel(this);
    m_stateLabel->setObjectName("status-state");
    m_stepLabel->setObjectName("status-progress");
    m_progressBar = new QProgressBar(this);
    m_progressBar->setMaximumWidth(260);
    m_progressBar->setTextVisible(true);
    m_progressBar->setVisible(false);
    // Long texts are cut rather than widening the window beyond a small screen.
    m_stateLabel->setMinimumWidth(1);
    m_stepLabel->setMinimumWidth(1);
    m_dataParallelLabel = new QLabel(this);
    m_dataParallelLabel->setObjectName("status-data-parallel");
    m_dataParallelLabel->setMinimumWidth(1);
    m_dataParallelLabel->hide();
    statusBar()->addWidget(m_stateLabel);
    statusBar()->addPermanentWidget(m_dataParallelLabel);
    statusBar()->addPermanentWidget(m_stepLabel);
    statusBar()->addPermanentWidget(m_progressBar);
    m_repeater = new RepeatRunner(*m_store, this);
    m_repeater->setMaximumWidth(560);
    statusBar()->addPermanentWidget(m_repeater);
    m_stateLabel->setText(tr("Ready: press Start to train the config on the left"));
}

void MainWindow::connectSession()
{
    connect(m_session, &RunSession::stateChanged, this, [this](SessionState state) {
        updateActions();
        m_progressBar->setVisible(m_session->isActive());
        if (state == SessionState::Preparing)
            m_stateLabel->setText(tr("Preparing: loading data and building the model…"));
        else if (state == SessionState::Paused)
            m_stateLabel->setText(tr("Paused: Resume, Steer or Stop"));
        else if (state == SessionState::Running)
            m_stateLabel->setText(tr("Training run %1").arg(m_session->runId()));
    });
    connect(m_session, &RunSession::runCreated, this, [this](qint64 runId) {
        RunSelection selection = m_selection;
        selection.active = selection.watched = runId; // watched live while it records
        setSelection(selection);
    });
    connect(m_session, &RunSession::progress, this, &MainWindow::showProgress);
    connect(m_session, &RunSession::noted, this, [this](const QString &kind, qint64) {
        if (kind == "steered")
            m_curves->refresh();
    });
    connect(m_session, &RunSession::finished, this, [this](const QString &outcome) {
        const QLocale locale;
        m_stateLabel->setText(m_lastProgress
                                  ? tr("Run %1 %2 at step %3 of %4")
                                        .arg(m_session->runId())
                                        .arg(outcome, locale.toString(m_lastProgress->step),
                                             locale.toString(m_lastProgress->totalSteps))
                                  : tr("Run %1 %2").arg(m_session->runId()).arg(outcome));
        clearProgress();
        m_curves->refresh();
    });
    connect(m_session, &RunSession::failed, this, [this](const QString &message) {
        m_stateLabel->setText(tr("Run failed"));
        clearProgress();
        QMessageBox::warning(this, tr("Training failed"), message);
    });
    // The run's life in the Log panel, exports started in the Runs panel too.
    m_sessionLog = new SessionLog(*m_session, this);
    connect(m_runs, &RunsPanel::exportWritten, m_sessionLog, &SessionLog::exported);
}

void MainWindow::loadDefaultConfig()
{
    auto config = train::loadRunConfig(m_options.defaultConfig.string());
    if (!config) {
        spdlog::warn("default experiment: {}", config.error().toString());
        m_hyperparams->setConfig(train::RunConfig{});
    } else {
        m_hyperparams->setConfig(*config);
    }
    m_dataset->openDataset(m_hyperparams->config().data);
}

void MainWindow::newRun()
{
    if (runActive())
        return;
    m_hyperparams->startNewRun();
    dock("dock-hyperparams")->raise();
    m_stateLabel->setText(tr("New run: the form keeps your settings, without fine-tuning; "
                             "press Start"));
}

void MainWindow::startRun()
{
    if (runActive() || !m_hyperparams->isValid())
        return;
    if (m_hyperparams->workers() > 1) {
        startDataParallel();
        return;
    }
    m_lastProgress.reset();
    m_progressBar->setValue(0);
    m_session->start(m_hyperparams->config());
}

void MainWindow::steerRun()
{
    if (m_session->state() != SessionState::Paused)
        return;
    const auto current = m_session->steering();
    const double scheduled = m_lastProgress && current.lrScale > 0
                                 ? m_lastProgress->lr / current.lrScale
                                 : m_hyperparams->config().optimizer.lr;
    SteerDialog dialog(current, scheduled, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    if (auto ok = m_session->steer(dialog.change()); !ok) {
        QMessageBox::warning(this, tr("Cannot steer the run"),
                             QString::fromStdString(ok.error().toString()));
        return;
    }
    m_sessionLog->steered(current, dialog.change());
    m_stateLabel->setText(tr("Paused: the change applies when the run resumes"));
}

void MainWindow::clearProgress()
{
    // An ended run has no ETA: the state label says how it ended.
    m_lastProgress.reset();
    m_stepLabel->clear();
    m_progressBar->setVisible(false);
}

void MainWindow::showProgress(const SessionProgress &p)
{
    m_lastProgress = p;
    const int permille = p.totalSteps > 0 ? int(1000 * p.step / p.totalSteps) : 0;
    m_progressBar->setRange(0, 1000);
    m_progressBar->setValue(permille);
    m_progressBar->setFormat(QString("%1%").arg(permille / 10.0, 0, 'f', 1));
    m_stepLabel->setText(statusText());
}

QString MainWindow::statusText() const
{
    if (!m_lastProgress)
        return {};
    const auto &p = *m_lastProgress;
    QLocale locale;
    // No loss before the first step that had one (a DP-SGD run's empty Poisson batches).
    const QString loss = std::isfinite(p.loss) ? tr(" · loss %1").arg(p.loss, 0, 'f', 4) : "";
    return tr("step %1 / %2 · epoch %3 / %4%5 · %6 samples/s · ETA %7")
        .arg(locale.toString(p.step), locale.toString(p.totalSteps))
        .arg(p.epoch, 0, 'f', 2)
        .arg(p.epochs)
        .arg(loss)
        .arg(locale.toString(qint64(p.samplesPerSecond)))
        .arg(remainingText(p.etaSeconds));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_session->isActive() && !confirmDataParallelClose()) {
        event->ignore();
        return;
    }
    if (m_session->isActive()) {
        const auto answer = QMessageBox::question(
            this, tr("A run is training"),
            tr("Stop the run and quit? It is checkpointed and can be resumed later."));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        m_session->stop();
    }
    saveLayout();
    event->accept();
}

void MainWindow::saveLayout() const
{
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
}

QRect MainWindow::availableArea() const
{
    const QScreen *at = QGuiApplication::screenAt(geometry().center());
    return (at ? at : screen())->availableGeometry();
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    // Docks laid out for a larger screen may need more room than this one has: then the
    // default layout, which fits.
    if (restoreState(settings.value("window/state").toByteArray())) {
        layout()->activate();
        const QSize least = minimumSizeHint();
        const QSize room = availableArea().size();
        if (least.width() > room.width() || least.height() > room.height())
            restoreState(m_defaultLayout);
    }
    const QRect fallback = geometry();
    QRect saved;
    if (restoreGeometry(settings.value("window/geometry").toByteArray())) {
        if (windowState() & (Qt::WindowMaximized | Qt::WindowFullScreen))
            return; // the desktop fits it
        saved = geometry();
    }
    layout()->activate();
    setGeometry(
        fittedGeometry(availableArea(), saved.isValid() ? saved : fallback, minimumSizeHint()));
}

void MainWindow::resetLayout()
{
    restoreState(m_defaultLayout);
    for (auto *dockWidget : findChildren<QDockWidget *>())
        dockWidget->show();
}

} // namespace lathe::panels
