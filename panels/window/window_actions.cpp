#include "panels/window/main_window.h"

#include "core/util/file_name.h"
#include "panels/bridge/plugin_panels.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/runs/ab_compare_dialog.h"
#include "panels/runs/repeat_dialog.h"
#include "panels/runs/repeat_runner.h"
#include "panels/runs/runs_panel.h"
#include "panels/window/about_dialog.h"
#include "panels/window/data_parallel_run.h"
#include "panels/window/plugins_dialog.h"
#include "panels/window/shortcuts_dialog.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStyle>
#include <QToolBar>

// The window's actions: the menus, their shortcuts and the toolbar. Every action is in a menu,
// so Help → Keyboard shortcuts (built from the menus) lists them all.
namespace lathe::panels {

namespace {

constexpr auto kConfigFilter = "Run configs (*.json);;All files (*)";

/// `tip` with the action's first shortcut: toolbar buttons show none of their own.
QString withKey(const QAction *a, const QString &tip)
{
    return a->shortcut().isEmpty() ? tip
                                   : QStringLiteral("%1 (%2)").arg(
                                       tip, a->shortcut().toString(QKeySequence::NativeText));
}

QAction *action(QObject *parent, QStyle::StandardPixmap icon, const QString &text,
                const QList<QKeySequence> &keys, const QString &tip = {})
{
    auto *a = icon == QStyle::SP_CustomBase
                  ? new QAction(text, parent)
                  : new QAction(QApplication::style()->standardIcon(icon), text, parent);
    a->setShortcuts(keys);
    if (!tip.isEmpty())
        a->setToolTip(withKey(a, tip));
    return a;
}

/// The platform's keys for `key`, else `fallback` (without a desktop theme, as on the offscreen
/// platform, Save as and Quit have none).
QList<QKeySequence> standardKeys(QKeySequence::StandardKey key, const char *fallback)
{
    auto keys = QKeySequence::keyBindings(key);
    return keys.isEmpty() ? QList<QKeySequence>{QKeySequence(fallback)} : keys;
}

} // namespace

QAction *MainWindow::runsAction(const char *name, const QList<QKeySequence> &keys) const
{
    auto *a = m_runs->findChild<QAction *>(QString::fromLatin1(name));
    Q_ASSERT(a);
    if (!keys.isEmpty()) {
        a->setShortcuts(keys);
        a->setToolTip(withKey(a, a->toolTip()));
    }
    return a;
}

void MainWindow::createActions()
{
    using Key = QKeySequence;
    const auto none = QStyle::SP_CustomBase;
    m_newRun = action(this, QStyle::SP_FileIcon, tr("&New run"), {Key::New},
                      tr("A new run with the form's settings, without the previous run's "
                         "fine-tuning and steering"));
    // F5 starts (Ctrl+R as before), F6 pauses and resumes, Shift+F5 stops: a debugger's keys.
    m_start = action(this, QStyle::SP_MediaPlay, tr("&Start"), {Key(Qt::Key_F5), Key("Ctrl+R")});
    m_pause = action(this, QStyle::SP_MediaPause, tr("&Pause"), {Key(Qt::Key_F6)},
                     tr("Pause at the next step: then Resume, Steer or Stop"));
    m_resume = action(this, QStyle::SP_MediaSeekForward, tr("&Resume"), {Key(Qt::Key_F6)},
                      tr("Continue the paused run"));
    m_steer = action(this, QStyle::SP_FileDialogDetailedView, tr("St&eer…"), {Key("Ctrl+E")},
                     tr("Change the learning rate, weight decay or augmentation of the paused "
                        "run"));
    m_stop = action(this, QStyle::SP_MediaStop, tr("S&top"), {Key("Shift+F5")},
                    tr("Stop the run (it is checkpointed and can be resumed)"));
    m_openConfig = action(this, none, tr("&Open config…"), {Key::Open});
    m_openModel = action(this, none, tr("Open &model…"), {Key("Ctrl+M")},
                         tr("Train, inspect and export your own PyTorch model (a TorchScript "
                            "file saved by torch.jit.save; it runs code when it loads: only "
                            "open files you trust)"));
    m_importRuns = action(this, none, tr("&Import runs…"), {Key("Ctrl+Shift+I")},
                          tr("Runs from TensorBoard event files or an MLflow store, as finished "
                             "runs beside yours"));
    m_importRuns->setObjectName("importRunsAction");
    m_saveConfig = action(this, none, tr("&Save config"), {Key::Save},
                          tr("Save the form's config to the file it came from (asks the "
                             "first time)"));
    m_saveConfigAs
        = action(this, none, tr("Save config &as…"), standardKeys(Key::SaveAs, "Ctrl+Shift+S"));
    m_resetLayout = action(this, none, tr("Reset &layout"), {});
    m_shortcuts = action(this, none, tr("&Keyboard shortcuts"), {Key::HelpContents});
    m_shortcuts->setObjectName("shortcutsAction");

    // The Runs panel's own actions, in the window's menus with window-wide shortcuts; Delete
    // stays with the runs table (Del elsewhere edits text or does nothing).
    m_undoDelete = runsAction("undoDeleteAction", {Key::Undo});
    m_undoDelete->setShortcutContext(Qt::WindowShortcut);
    m_renameRun = runsAction("renameRunAction", {Key(Qt::Key_F2)});
    m_deleteRuns = runsAction("deleteRunsAction", {});
    m_compareRuns = runsAction("compareRunsAction", {Key("Ctrl+D")});
    m_newRunFromConfig = runsAction("newRunFromConfigAction", {Key("Ctrl+Shift+N")});
    m_resumeStopped = runsAction("resumeRunAction", {Key("Ctrl+Shift+R")});
    m_fineTune = runsAction("fineTuneAction", {Key("Ctrl+Shift+F")});
    m_exportRun = runsAction("exportRunAction", {Key("Ctrl+Shift+E")});
    createCompareActions();
    for (QAction *a : {m_renameRun, m_compareRuns, m_newRunFromConfig, m_fineTune})
        connect(a, &QAction::triggered, this, [this] { dock("dock-runs")->raise(); });

    connect(m_newRun, &QAction::triggered, this, &MainWindow::newRun);
    connect(m_start, &QAction::triggered, this, &MainWindow::startRun);
    connect(m_pause, &QAction::triggered, this,
            [this] { m_dataParallel->isActive() ? m_dataParallel->pause() : m_session->pause(); });
    connect(m_resume, &QAction::triggered, this, [this] {
        m_dataParallel->isActive() ? m_dataParallel->resume() : m_session->resume();
    });
    connect(m_steer, &QAction::triggered, this, &MainWindow::steerRun);
    connect(m_importRuns, &QAction::triggered, this, &MainWindow::importRuns);
    connect(m_stop, &QAction::triggered, this, [this] {
        if (m_dataParallel->isActive())
            m_dataParallel->stop();
        else
            m_session->stop();
    });
    connect(m_resetLayout, &QAction::triggered, this, &MainWindow::resetLayout);
    connect(m_openConfig, &QAction::triggered, this, &MainWindow::openConfig);
    connect(m_openModel, &QAction::triggered, this, &MainWindow::openModel);
    connect(m_saveConfig, &QAction::triggered, this, [this] { saveConfig(false); });
    connect(m_saveConfigAs, &QAction::triggered, this, [this] { saveConfig(true); });
    connect(m_shortcuts, &QAction::triggered, this,
            [this] { ShortcutsDialog(menuBar(), this).exec(); });

    auto *toolbar = addToolBar(tr("Run"));
    toolbar->setObjectName("toolbar-run");
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addActions({m_newRun, m_start, m_pause, m_resume, m_steer, m_stop});
    toolbar->addSeparator();
    toolbar->addActions({m_fineTune, m_exportRun});
}

void MainWindow::createCompareActions()
{
    using Key = QKeySequence;
    const auto none = QStyle::SP_CustomBase;
    // The Runs panel's: it knows what is picked (two runs or two groups) and says in the
    // tooltip why the action is off; a key in the tooltip would go with its next update.
    m_compareAB = runsAction("compareABAction", {});
    m_compareAB->setShortcut(Key("Ctrl+Shift+D"));
    m_repeatRun = action(this, none, tr("Re&peat ×N…"), {Key("Ctrl+Shift+P")},
                         tr("Train the selected run's config N times with other seeds, as one "
                            "repeat group"));
    m_repeatRun->setObjectName("repeatRunAction");
    m_repeatForm = action(this, none, tr("Start ×&N…"), {},
                          tr("Train the form's config N times with seeds from its own up, as one "
                             "repeat group (each run in a lathe-cli process)"));
    m_repeatForm->setObjectName("repeatFormAction");
    connect(m_runs, &RunsPanel::abCompareRequested, this, &MainWindow::compareAB);
    connect(m_repeatRun, &QAction::triggered, this, &MainWindow::repeatSelected);
    connect(m_repeatForm, &QAction::triggered, this, &MainWindow::repeatForm);
}

void MainWindow::createMenus()
{
    auto *file = menuBar()->addMenu(tr("&File"));
    file->addActions({m_openConfig, m_saveConfig, m_saveConfigAs});
    file->addSeparator();
    file->addAction(m_openModel);
    file->addAction(m_importRuns);
    file->addSeparator();
    file->addAction(m_exportRun);
    file->addSeparator();
    auto *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcuts(standardKeys(QKeySequence::Quit, "Ctrl+Q"));
    auto *edit = menuBar()->addMenu(tr("&Edit"));
    edit->setToolTipsVisible(true); // Compare A/B's says why it is off
    edit->addAction(m_undoDelete);
    edit->addSeparator();
    edit->addActions({m_renameRun, m_deleteRuns, m_compareRuns, m_compareAB});
    auto *run = menuBar()->addMenu(tr("&Run"));
    run->addActions({m_newRun, m_newRunFromConfig});
    run->addSeparator();
    run->addActions({m_start, m_repeatForm, m_pause, m_resume, m_steer, m_stop});
    run->addSeparator();
    run->addActions({m_resumeStopped, m_fineTune, m_repeatRun});
    auto *view = menuBar()->addMenu(tr("&View"));
    for (auto *dockWidget : findChildren<QDockWidget *>())
        view->addAction(dockWidget->toggleViewAction());
    view->addSeparator();
    view->addAction(m_resetLayout);
    auto *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_shortcuts);
    help->addAction(tr("&Plugins…"), this,
                    [this] { PluginsDialog(this, m_pluginPanels->failures()).exec(); });
    help->addAction(tr("&About Lathe"), this, [this] { showAbout(this, m_options.db); });
}

void MainWindow::updateActions()
{
    const auto state = m_session->state();
    const bool active = runActive();
    const bool dataParallel = m_dataParallel->isActive();
    m_newRun->setEnabled(!active);
    m_start->setEnabled(!active && m_hyperparams->isValid() && m_readOnlyStore.isEmpty());
    if (!m_readOnlyStore.isEmpty())
        m_start->setToolTip(m_readOnlyStore);
    else if (m_hyperparams->isValid())
        m_start->setToolTip(withKey(m_start, tr("Train the config in the Hyperparameters panel")));
    else
        m_start->setToolTip(tr("Fix the config first: its error is shown in the form"));
    const auto dpState = m_dataParallel->state();
    m_pause->setEnabled(state == SessionState::Running || state == SessionState::Preparing
                        || dpState == DataParallelRun::State::Running);
    m_pause->setToolTip(
        dataParallel
            ? withKey(m_pause, tr("Pause every worker after the same step: then Resume or Stop"))
            : withKey(m_pause, tr("Pause at the next step: then Resume, Steer or Stop")));
    m_resume->setEnabled(state == SessionState::Paused
                         || dpState == DataParallelRun::State::Paused);
    m_steer->setEnabled(state == SessionState::Paused && m_session->runId() != 0);
    m_stop->setEnabled(
        m_session->isActive()
        || (dataParallel && m_dataParallel->state() != DataParallelRun::State::Stopping));
    m_repeatRun->setEnabled(m_selection.selected.size() == 1 && m_readOnlyStore.isEmpty());
    m_repeatForm->setEnabled(m_hyperparams->isValid() && m_readOnlyStore.isEmpty());
}

void MainWindow::compareAB(const compare::SideRef &a, const compare::SideRef &b)
{
    auto *dialog = new AbCompareDialog(*m_store, a, b, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &AbCompareDialog::repeatRequested, m_repeater,
            [this](const QList<qint64> &ids, int count) { m_repeater->repeat(ids, count, 1); });
    // Its single runs become their repeat groups, read again once these are trained.
    connect(m_repeater, &RepeatRunner::groupNamed, dialog, &AbCompareDialog::followGroup);
    connect(m_repeater, &RepeatRunner::groupFinished, dialog, &AbCompareDialog::refresh);
    dialog->show();
}

void MainWindow::repeatSelected()
{
    if (m_selection.selected.size() != 1)
        return;
    const qint64 id = m_selection.selected.front();
    auto *dialog = new RepeatDialog(tr("run %1").arg(id), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog, id] { m_repeater->repeat({id}, dialog->count(), dialog->workers()); });
    dialog->open();
}

void MainWindow::repeatForm()
{
    if (!m_hyperparams->isValid())
        return;
    const auto config = m_hyperparams->config();
    auto *dialog = new RepeatDialog(
        tr("the form (%1)").arg(QString::fromStdString(config.name)).toHtmlEscaped(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, config] {
        m_repeater->repeatConfig(config.name, config.toJson().dump(2) + "\n", dialog->count(),
                                 dialog->workers());
    });
    dialog->open();
}

void MainWindow::openConfig()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open run config"), m_configPath,
                                                      tr(kConfigFilter));
    if (!path.isEmpty() && m_hyperparams->openConfig(path))
        m_configPath = path;
}

void MainWindow::openModel()
{
    const QString path = QFileDialog::getOpenFileName(
        this,
        tr("Open a TorchScript model (it runs code when it loads: only open files you trust)"), {},
        tr("TorchScript modules (*.pt *.pth *.ts);;All files (*)"));
    if (path.isEmpty())
        return;
    m_hyperparams->useModel(path);
    dock("dock-hyperparams")->raise();
}

void MainWindow::saveConfig(bool askForFile)
{
    QString path = m_configPath;
    if (askForFile || path.isEmpty())
        path = QFileDialog::getSaveFileName(
            this, tr("Save run config"),
            QString::fromStdString(util::safeFileName(m_hyperparams->config().name, "run"))
                + ".json",
            tr(kConfigFilter));
    if (path.isEmpty() || !m_hyperparams->saveConfig(path))
        return;
    m_configPath = path;
    m_stateLabel->setText(tr("Config saved to %1").arg(path));
}

} // namespace lathe::panels
