// The workbench window driven like a user would: its toolbar starts a real run on Fashion-MNIST,
// the run appears in the Runs panel and its curve gains points, pause/steer/resume/stop work,
// and an invalid config disables Start.
#include "core/plugin/loader.h"
#include "core/plugin/registry.h"
#include "core/track/run_store.h"
#include "core/util/sha256.h"
#include "panels/bridge/run_list_model.h"
#include "panels/common/plot_widget.h"
#include "panels/curves/curves_panel.h"
#include "panels/dataset/dataset_panel.h"
#include "panels/errors/errors_panel.h"
#include "panels/histograms/histograms_panel.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/log/log_panel.h"
#include "panels/runs/runs_panel.h"
#include "panels/visualise/visualise_panel.h"
#include "panels/window/main_window.h"
#include "panels/window/plugins_dialog.h"
#include "panels/window/steer_dialog.h"
#include "tests/panels/named_child.h"
#include "tests/panels/panel_test_support.h"
#include "tests/test_registry.h"

#include <QtTest>
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTabWidget>
#include <QTableWidget>
#include <QToolBar>
#include <QTreeWidget>

#include <array>
#include <fstream>
#include <map>

using namespace lathe;
using namespace lathe::panels;
using lathe::testing::clickToolButton;
using lathe::testing::saveGrab;
using lathe::testing::storedStatus;

namespace {

/// The default experiment cut down so a run takes seconds: 3,000 images, 6 epochs (stopped
/// long before the end).
std::filesystem::path writeSmallConfig(const QTemporaryDir &dir)
{
    auto config = train::loadRunConfig(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");
    if (!config)
        qFatal("%s", config.error().toString().c_str());
    config->name = "gui-test";
    config->data.subset = 3000;
    config->model.widths = {8, 16};
    config->training.epochs = 6;
    config->training.batchSize = 32;
    const auto path = std::filesystem::path(dir.path().toStdString()) / "small.json";
    std::ofstream(path) << config->toJson().dump(2);
    return path;
}

std::size_t plottedPoints(const MainWindow &window)
{
    std::size_t n = 0;
    for (auto *plot : window.curvesPanel()->findChildren<PlotWidget *>())
        for (const auto &series : plot->series())
            n += series.points.size();
    return n;
}

/// With LATHE_TEST_GRABS=<dir>, saves a picture of `widget` there as <name>.png.
// Shows `window` and waits until it has the focus (its shortcuts then reach it).
bool showActive(MainWindow &window)
{
    window.show();
    window.activateWindow();
    return QTest::qWaitForWindowActive(&window);
}

/// What the Plugins dialog's Registered tab lists: per kind, each entry's name, source and
/// description, in order.
using RegisteredView = std::map<std::string, std::vector<std::array<std::string, 3>>>;

RegisteredView registeredView(const PluginsDialog &dialog, QStringList &kinds)
{
    RegisteredView view;
    QTreeWidget *tree = namedChild<QTreeWidget>(&dialog, "registered");
    for (int k = 0; k < tree->topLevelItemCount(); ++k) {
        const QTreeWidgetItem *group = tree->topLevelItem(k);
        const QString kind = group->data(0, Qt::UserRole).toString();
        kinds << kind;
        auto &entries = view[kind.toStdString()];
        for (int i = 0; i < group->childCount(); ++i) {
            const QTreeWidgetItem *item = group->child(i);
            entries.push_back({item->text(0).toStdString(), item->text(1).toStdString(),
                               item->text(2).toStdString()});
        }
    }
    return view;
}

} // namespace

class TstMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        LogSink::install();
    }

    void keysDriveTheRunAndTheLogTellsIt()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        MainWindow window({db, writeSmallConfig(dir), false});
        QVERIFY(showActive(window));
        auto *log = window.logPanel();
        const auto logSays = [log](const QString &text) {
            log->poll();
            return log->text().contains(text);
        };

        QTest::keyClick(&window, Qt::Key_F5); // Start
        QTRY_VERIFY_WITH_TIMEOUT(window.session().runId() != 0, 20000);
        const QString run = QString("run %1 ").arg(window.session().runId());
        QTRY_VERIFY_WITH_TIMEOUT(!window.statusText().isEmpty(), 10000);
        QVERIFY(window.statusText().contains("ETA"));
        QTRY_VERIFY(logSays(run + "started"));

        QTest::keyClick(&window, Qt::Key_F6); // Pause
        QCOMPARE(window.session().state(), SessionState::Paused);
        QTRY_VERIFY(logSays(run + "paused at step "));

        QTimer::singleShot(0, [] {
            auto *dialog = qobject_cast<SteerDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            namedChild<QDoubleSpinBox>(dialog, "steerLrScale")->setValue(0.5);
            dialog->accept();
        });
        QTest::keyClick(&window, Qt::Key_E, Qt::ControlModifier); // Steer…
        QCOMPARE(window.session().steering().lrScale, 0.5);
        QTRY_VERIFY(logSays(run + "steered at step "));
        QVERIFY(logSays("learning-rate scale 1 → 0.5"));

        window.activateWindow(); // the offscreen platform has no window manager to do it
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTest::keyClick(&window, Qt::Key_F6); // Resume
        QTRY_COMPARE(window.session().state(), SessionState::Running);
        QTRY_VERIFY(logSays(run + "resumed at step "));

        QTest::keyClick(&window, Qt::Key_F5, Qt::ShiftModifier); // Stop
        QTRY_VERIFY_WITH_TIMEOUT(!window.session().isActive(), 20000);
        QCOMPARE(window.session().state(), SessionState::Stopped);
        QTRY_VERIFY(logSays(run + "stopped: step "));
        // The ETA goes with the run; the state says where it ended.
        QCOMPARE(window.statusText(), QString());
        QCOMPARE(namedChild<QLabel>(&window, "status-progress")->text(), QString());
        QVERIFY(!window.statusBar()->findChild<QProgressBar *>()->isVisible());

        // An export started in the Runs panel is logged with where its files went.
        Q_EMIT window.runsPanel()->exportWritten(window.session().runId(), "gui-test", "/tmp/out",
                                                 {"/tmp/out/model.pt"});
        QTRY_VERIFY(logSays(run + "(gui-test) exported to /tmp/out: /tmp/out/model.pt"));
    }

    void aFinishedRunLeavesNoEtaAndLogsItsResults()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        MainWindow window({db, writeSmallConfig(dir), false});
        auto config = window.hyperparamsPanel()->config();
        config.training.epochs = 1;
        window.hyperparamsPanel()->setConfig(config);
        QVERIFY(showActive(window));
        QTest::keyClick(&window, Qt::Key_F5);
        QTRY_VERIFY_WITH_TIMEOUT(!window.statusText().isEmpty(), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(window.session().state(), SessionState::Finished, 60000);
        QCOMPARE(window.statusText(), QString());
        QCOMPARE(namedChild<QLabel>(&window, "status-progress")->text(), QString());
        auto *log = window.logPanel();
        const QString run = QString("run %1 finished: step ").arg(window.session().runId());
        QTRY_VERIFY((log->poll(), log->text().contains(run)));
        QVERIFY(log->text().contains("test accuracy"));
    }

    void editAndFileShortcutsReachTheRunsAndTheConfig()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        qint64 runId = 0;
        {
            auto store = track::RunStore::open(db);
            QVERIFY(store.has_value());
            const auto created = (*store)->createRun({"alpha", "{}", 1});
            QVERIFY(created.has_value());
            runId = *created;
        }
        MainWindow window({db, writeSmallConfig(dir), false});
        QVERIFY(showActive(window));
        auto *runs = window.runsPanel();
        auto *proxy = namedChild<QAbstractItemModel>(runs, "runsProxy");
        QTRY_COMPARE(proxy->rowCount(), 1);
        auto *table = namedChild<QTableView>(runs, "runsTable");
        runs->selectRuns({runId});

        // Edit → Delete, then Ctrl+Z with the focus in the form: the run comes back.
        namedChild<QAction>(runs, "deleteRunsAction")->trigger();
        QTRY_COMPARE(proxy->rowCount(), 0);
        window.hyperparamsPanel()->setFocus();
        QTest::keyClick(&window, Qt::Key_Z, Qt::ControlModifier);
        QTRY_COMPARE(proxy->rowCount(), 1);

        // F2 renames the current run in the table.
        runs->selectRuns({runId});
        window.hyperparamsPanel()->setFocus();
        QTest::keyClick(&window, Qt::Key_F2);
        QTRY_VERIFY(qobject_cast<QLineEdit *>(QApplication::focusWidget())
                    && table->isAncestorOf(QApplication::focusWidget()));
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Escape);

        // Ctrl+S asks for a file the first time, then saves to it without asking.
        const QString path = dir.filePath("saved.json");
        QTimer::singleShot(0, [&path] {
            auto *dialog = qobject_cast<QFileDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            dialog->selectFile(path);
            static_cast<QDialog *>(dialog)->accept();
        });
        QTest::keyClick(&window, Qt::Key_S, Qt::ControlModifier);
        QVERIFY(QFile::exists(path));
        QFile::remove(path);
        window.activateWindow(); // the offscreen platform has no window manager to do it
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTest::keyClick(&window, Qt::Key_S, Qt::ControlModifier); // no dialog this time
        QVERIFY(QFile::exists(path));
    }

    void helpListsEveryShortcut()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        MainWindow window({db, writeSmallConfig(dir), false});
        QVERIFY(showActive(window));
        // What the menus hold, read here independently of the dialog.
        QMap<QString, QString> expected; // action text -> shortcuts
        for (auto *top : window.menuBar()->actions())
            for (auto *action : top->menu()->actions())
                if (!action->isSeparator()) {
                    QStringList keys;
                    for (const auto &key : action->shortcuts())
                        keys << key.toString(QKeySequence::NativeText);
                    expected[action->text().remove('&')] = keys.join(", ");
                }
        for (const char *name :
             {"Start", "Pause", "Resume", "Steer…", "Stop", "Undo delete", "Fine-tune from here",
              "Resume run", "Save config", "Save config as…", "Quit", "Keyboard shortcuts"})
            QVERIFY2(!expected.value(name).isEmpty(), name);
        QMap<QString, QString> listed;
        QTimer::singleShot(0, [&listed] {
            auto *dialog = QApplication::activeModalWidget();
            QVERIFY(dialog);
            auto *table = namedChild<QTableWidget>(dialog, "shortcuts-table");
            for (int row = 0; row < table->rowCount(); ++row)
                listed[table->item(row, 1)->text()] = table->item(row, 2)->text();
            saveGrab(dialog, "shortcuts-dialog");
            dialog->close();
        });
        QTest::keyClick(&window, Qt::Key_F1);
        QCOMPARE(listed, expected);
    }

    void trainsPausesSteersAndStopsFromTheToolbar()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        MainWindow window({db, writeSmallConfig(dir), false});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.startAction()->isEnabled());
        QVERIFY(!window.pauseAction()->isEnabled());

        clickToolButton(window, window.startAction());
        QTRY_VERIFY_WITH_TIMEOUT(window.session().runId() != 0, 20000);
        const qint64 runId = window.session().runId();
        QTRY_COMPARE(window.histogramsPanel()->runId(), runId); // the active run is watched live
        QTRY_VERIFY_WITH_TIMEOUT(!window.statusText().isEmpty(), 10000);
        QVERIFY(!window.startAction()->isEnabled());

        // Pause: the trainer stops at a step boundary and the store says so.
        clickToolButton(window, window.pauseAction());
        QCOMPARE(window.session().state(), SessionState::Paused);
        QTRY_COMPARE_WITH_TIMEOUT(storedStatus(db, runId), QString("paused"), 10000);
        QVERIFY(window.steerAction()->isEnabled());

        // Steer through the real dialog: halve the learning rate.
        QTimer::singleShot(0, [] {
            auto *dialog = qobject_cast<SteerDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            namedChild<QDoubleSpinBox>(dialog, "steerLrScale")->setValue(0.5);
            dialog->accept();
        });
        window.steerAction()->trigger();
        QCOMPARE(window.session().steering().lrScale, 0.5);

        clickToolButton(window, window.resumeAction());
        QTRY_COMPARE_WITH_TIMEOUT(storedStatus(db, runId), QString("running"), 10000);

        // The run's row appears in the Runs panel and its curves gain points.
        auto *runs = window.runsPanel()->findChild<QTableView *>();
        QVERIFY(runs);
        QTRY_VERIFY_WITH_TIMEOUT(runs->model()->rowCount() == 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(plottedPoints(window) > 0, 10000);
        const auto before = plottedPoints(window);
        QTRY_VERIFY_WITH_TIMEOUT(plottedPoints(window) > before, 15000);

        clickToolButton(window, window.stopAction());
        QTRY_COMPARE_WITH_TIMEOUT(window.session().state(), SessionState::Stopped, 20000);
        QCOMPARE(storedStatus(db, runId), QString("stopped"));
        QVERIFY(window.startAction()->isEnabled());

        // The steering change is stored as an event and in the run's config.
        auto store = track::RunStore::open(db);
        QVERIFY(store.has_value());
        auto events = (*store)->events(runId);
        QVERIFY(events.has_value());
        QVERIFY(std::any_of(events->begin(), events->end(),
                            [](const auto &e) { return e.kind == "steered"; }));
        auto run = (*store)->run(runId);
        QVERIFY(run.has_value());
        QVERIFY(QString::fromStdString(run->configJson).contains("\"lr_scale\":0.5"));

        // Selecting the run shows it in Visualise and Errors; a Dataset sample goes to Visualise.
        runs->selectRow(0);
        QTRY_COMPARE(window.visualisePanel()->runId(), runId);
        QCOMPARE(window.errorsPanel()->runId(), runId);
        QCOMPARE(window.histogramsPanel()->runId(), runId);
        QTRY_VERIFY_WITH_TIMEOUT(window.visualisePanel()->modelInfo().has_value(), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(window.datasetPanel()->dataset() != nullptr, 15000);
        Q_EMIT window.datasetPanel()->sampleActivated(5);
        QTRY_VERIFY_WITH_TIMEOUT(
            namedChild<QLabel>(window.visualisePanel(), "visualise-sample-text")
                ->text()
                .contains("dataset sample #5"),
            15000);
        QVERIFY(window.dock("dock-visualise")->isVisible());
        // So does a validation sample that Errors lists for a run without a test split.
        Q_EMIT window.errorsPanel()->validationSampleActivated(window.datasetPanel()->dataset(), 7);
        QTRY_VERIFY_WITH_TIMEOUT(
            namedChild<QLabel>(window.visualisePanel(), "visualise-sample-text")
                ->text()
                .contains("dataset sample #7"),
            15000);

        // "Resume run" in the Runs panel continues the stopped run in this window.
        const auto actions = window.runsPanel()->findChildren<QAction *>();
        auto resume = std::find_if(actions.begin(), actions.end(),
                                   [](QAction *a) { return a->text() == "Resume run"; });
        QVERIFY(resume != actions.end());
        QTRY_VERIFY((*resume)->isEnabled());
        (*resume)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(window.session().state(), SessionState::Running, 20000);
        QCOMPARE(window.session().runId(), runId);
        QVERIFY(window.stopAction()->isEnabled());
        window.stopAction()->trigger();
        // On a slow machine the rest of the run may finish before the stop is seen.
        QTRY_VERIFY_WITH_TIMEOUT(!window.session().isActive(), 30000);
        const auto end = window.session().state();
        QVERIFY(end == SessionState::Stopped || end == SessionState::Finished);
        QCOMPARE(storedStatus(db, runId),
                 QString(end == SessionState::Stopped ? "stopped" : "finished"));
    }

    void aFailedRunIsLoggedAndLeavesNoEta()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        MainWindow window({db, writeSmallConfig(dir), false});
        window.show();
        auto config = window.hyperparamsPanel()->config();
        config.data.path = dir.filePath("no-such-data").toStdString();
        // The message box that reports the failure is closed as soon as it shows.
        QTimer closer;
        connect(&closer, &QTimer::timeout, [] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget()))
                box->accept();
        });
        closer.start(50);
        QVERIFY(window.session().start(config));
        QTRY_COMPARE_WITH_TIMEOUT(window.session().state(), SessionState::Failed, 20000);
        auto *log = window.logPanel();
        QTRY_VERIFY((log->poll(), log->text().contains("training failed: ")));
        QVERIFY(log->text().contains("no-such-data"));
        QCOMPARE(window.statusText(), QString());
    }

    void helpPluginsListsWhatWasLoaded()
    {
        for (const char *file : {"/cosine-restarts.so", "/fairness.so"}) {
            const auto record = plugin::loadPlugin(std::string(LATHE_TEST_PLUGIN_DIR) + file);
            QVERIFY2(record.status == plugin::PluginRecord::Status::Loaded, record.message.c_str());
        }
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        MainWindow window({db, writeSmallConfig(dir), false});
        window.show();
        QAction *plugins = nullptr;
        for (auto *action : window.menuBar()->actions())
            if (action->text() == "&Help")
                for (auto *item : action->menu()->actions())
                    if (item->text().startsWith("&Plugins"))
                        plugins = item;
        QVERIFY(plugins);
        QStringList row;
        QStringList kinds;
        RegisteredView registered;
        QTimer::singleShot(0, [&] {
            auto *dialog = qobject_cast<PluginsDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            auto *table = namedChild<QTableWidget>(dialog, "plugins-table");
            for (int r = 0; r < table->rowCount(); ++r)
                if (table->item(r, 0)->text() == "cosine-restarts")
                    for (int c = 0; c < table->columnCount(); ++c)
                        row << table->item(r, c)->text();
            registered = registeredView(*dialog, kinds);
            saveGrab(dialog, "plugins-dialog");
            namedChild<QTabWidget>(dialog, "plugins-tabs")->setCurrentIndex(1);
            saveGrab(dialog, "plugins-dialog-registered");
            dialog->reject();
        });
        plugins->trigger();
        QCOMPARE(row.size(), 5);
        QCOMPARE(row[1], QString("1.0"));
        QCOMPARE(row[2], QString("loaded"));
        QCOMPARE(row[3], QString("schedule cosine-restarts"));
        QVERIFY(row[4].endsWith("cosine-restarts.so"));

        // Registered: every entry of every kind, in the registry's order, with its source.
        QCOMPARE(kinds,
                 (QStringList{"dataset", "model", "metric", "augmentation", "schedule", "panel"}));
        for (const plugin::Kind kind : plugin::allKinds()) {
            const auto &entries = registered[plugin::toString(kind)];
            const auto names = plugin::registry().names(kind);
            QCOMPARE(entries.size(), names.size());
            for (std::size_t i = 0; i < names.size(); ++i) {
                QCOMPARE(entries[i][0], names[i]);
                QCOMPARE(entries[i][1], plugin::registry().source(kind, names[i]));
            }
        }
        const auto entry = [&registered](const char *kind, const std::string &name) {
            for (const auto &e : registered[kind])
                if (e[0] == name)
                    return e;
            return std::array<std::string, 3>{};
        };
        QCOMPARE(entry("schedule", "cosine-restarts")[1], std::string("cosine-restarts"));
        QCOMPARE(entry("schedule", "constant")[1], std::string("built-in"));
        QCOMPARE(entry("schedule", "constant")[2], std::string("The base rate throughout"));
        QCOMPARE(entry("metric", "fairness")[1], std::string("fairness"));
        QVERIFY(entry("metric", "fairness")[2].starts_with("Accuracy and true-positive rate"));
        QCOMPARE(entry("metric", "macro-f1")[1], std::string("built-in"));
        QCOMPARE(entry("dataset", "fashion-mnist")[1], std::string("built-in"));
        QCOMPARE(entry("model", "cnn")[1], std::string("built-in"));
        QCOMPARE(entry("augmentation", "hflip")[2],
                 std::string("Horizontal flip with probability prob"));
    }

    void helpPluginsSaysWhichFoldersDoNotExist()
    {
        QTemporaryDir dir;
        const auto missing = std::filesystem::path(dir.path().toStdString()) / "no-such-folder";
        const auto empty = std::filesystem::path(dir.path().toStdString()) / "empty";
        std::filesystem::create_directory(empty);
        plugin::loadPlugins({missing, empty});
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        MainWindow window({db, writeSmallConfig(dir), false});
        window.show();
        QString folders;
        QTimer::singleShot(0, [&folders] {
            auto *dialog = qobject_cast<PluginsDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            folders = namedChild<QLabel>(dialog, "plugin-folders")->text();
            dialog->reject();
        });
        for (auto *action : window.menuBar()->actions())
            if (action->text() == "&Help")
                for (auto *item : action->menu()->actions())
                    if (item->text().startsWith("&Plugins"))
                        item->trigger();
        const QStringList lines = folders.split("<br>");
        const auto line = [&lines](const std::filesystem::path &folder) {
            const auto name = QString::fromStdString(folder.string());
            for (const auto &l : lines)
                if (l.startsWith(name))
                    return l.mid(name.size());
            return QString("not listed");
        };
        QCOMPARE(line(missing), QString(" <i>(does not exist)</i>"));
        QCOMPARE(line(empty), QString());
    }

    void invalidConfigDisablesStart()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        MainWindow window({db, writeSmallConfig(dir), false});
        QVERIFY(window.startAction()->isEnabled());
        auto config = window.hyperparamsPanel()->config();
        config.optimizer.lr = -1;
        window.hyperparamsPanel()->setConfig(config);
        QVERIFY(!window.startAction()->isEnabled());
        config.optimizer.lr = 1e-3;
        window.hyperparamsPanel()->setConfig(config);
        QVERIFY(window.startAction()->isEnabled());
        // Reader options typed without '=': Start waits until they read as key=value.
        auto *options = window.hyperparamsPanel()->findChild<QLineEdit *>("data.options");
        QVERIFY(options);
        options->setFocus();
        QTest::keyClicks(options, "label");
        QVERIFY(!window.startAction()->isEnabled());
        QTest::keyClicks(options, "=class");
        QVERIFY(window.startAction()->isEnabled());
    }

    void panelsAreClosableDocksAndLayoutResets()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        MainWindow window({db, writeSmallConfig(dir), false});
        window.show();
        const QStringList names{"dock-hyperparams", "dock-dataset",   "dock-curves",
                                "dock-runs",        "dock-log",       "dock-visualise",
                                "dock-errors",      "dock-histograms"};
        QMenu *viewMenu = nullptr;
        for (auto *action : window.menuBar()->actions()) {
            if (action->text() == "&View")
                viewMenu = action->menu();
        }
        QVERIFY(viewMenu);
        for (const auto &name : names) {
            auto *dock = window.dock(name);
            QVERIFY2(dock, qPrintable(name));
            QVERIFY(dock->features() & QDockWidget::DockWidgetClosable);
            QVERIFY2(viewMenu->actions().contains(dock->toggleViewAction()), qPrintable(name));
        }
        QVERIFY(window.dock("dock-visualise")->isAncestorOf(window.visualisePanel()));
        QVERIFY(window.dock("dock-errors")->isAncestorOf(window.errorsPanel()));
        QVERIFY(window.dock("dock-histograms")->isAncestorOf(window.histogramsPanel()));
        window.dock("dock-curves")->close();
        QVERIFY(!window.dock("dock-curves")->isVisible());
        const auto reset = window.findChildren<QAction *>();
        auto it = std::find_if(reset.begin(), reset.end(),
                               [](QAction *a) { return a->text() == "Reset &layout"; });
        QVERIFY(it != reset.end());
        (*it)->trigger();
        QVERIFY(window.dock("dock-curves")->isVisible());
    }

    // A store a newer Lathe wrote opens read-only: its runs are listed, the title and the
    // status bar say read-only, Start is off, and an edit changes nothing in the file.
    void aNewerStoreOpensReadOnly()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        std::int64_t id = 0;
        {
            auto store = track::RunStore::open(db);
            QVERIFY(store.has_value());
            id = (*store)->createRun({"from-the-future", "{}", 1}).value();
        }
        {
            auto raw = track::sql::Database::open(db, 1000);
            QVERIFY(raw.has_value());
            QVERIFY(raw->exec("PRAGMA user_version = "
                              + std::to_string(track::RunStore::latestSchemaVersion() + 1))
                        .has_value());
        }
        const auto before = util::sha256File(db);
        QVERIFY(before.has_value());
        {
            MainWindow window({db, writeSmallConfig(dir), false});
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            QTRY_VERIFY(window.windowTitle().endsWith("(read-only)"));
            auto *label = window.findChild<QLabel *>("status-read-only");
            QVERIFY(label && label->isVisible());
            QVERIFY2(label->toolTip().contains("schema version"), qPrintable(label->toolTip()));
            QVERIFY(!window.startAction()->isEnabled());
            QVERIFY(window.startAction()->toolTip().contains("newer Lathe"));
            auto *runs = window.runsPanel();
            QTRY_VERIFY(runs->model()->rowOf(id) >= 0);
            auto *model = runs->model();
            QSignalSpy refused(model, &RunListModel::storeError);
            const auto name = model->index(model->rowOf(id), RunListModel::NameColumn);
            model->setData(name, QStringLiteral("renamed"));
            QTRY_COMPARE(refused.count(), 1);
            QVERIFY2(refused.front().front().toString().contains("it is open read-only"),
                     qPrintable(refused.front().front().toString()));
            QTRY_COMPARE(
                model->data(model->index(model->rowOf(id), RunListModel::NameColumn)).toString(),
                QString("from-the-future"));
        }
        QCOMPARE(util::sha256File(db).value(), *before);
    }

    // Last: the plugin it loads stays in the process-wide registry.
    void theGuiThreadNeverOpensTheStore()
    {
        // Opening the store migrates it and marks dead runs interrupted: writes, which only
        // threads of their own may do. Every panel, a plugin's too, goes through the window's
        // one StoreClient; reads, edits and deletes all happen elsewhere.
        const auto loaded
            = plugin::loadPlugin(std::string(LATHE_TEST_PLUGIN_DIR) + "/class-accuracy.so");
        QVERIFY2(loaded.status == plugin::PluginRecord::Status::Loaded, loaded.message.c_str());
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        auto store = track::RunStore::open(db); // the test's own reader, opened beforehand
        QVERIFY(store.has_value());
        const auto a = (*store)->createRun({"alpha", "{}", 1});
        const auto b = (*store)->createRun({"beta", "{}", 2});
        QVERIFY(a.has_value() && b.has_value());
        const std::vector<track::MetricPoint> points{
            {*a, "val/per-class-accuracy/cat", 10, 1, 0, 0.5},
            {*a, "val/per-class-accuracy/cat", 20, 2, 0, 0.7},
            {*a, "val/accuracy", 20, 2, 0, 0.7}};
        QVERIFY((*store)->addMetrics(points).has_value());
        const auto opens = track::RunStore::opensOnThisThread();
        {
            MainWindow window({db, writeSmallConfig(dir), false});
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            auto *runs = window.runsPanel();
            QTRY_VERIFY(runs->model()->rowOf(*b) >= 0);
            runs->selectRuns({*a});
            auto *plugin = window.dock("plugin-panel-class-accuracy");
            QVERIFY(plugin);
            plugin->raise();
            QTRY_COMPARE(plugin->widget()->property("pointCount").toLongLong(), 2);
            QTRY_COMPARE(window.histogramsPanel()->runId(), *a);
            QCOMPARE(window.curvesPanel()->shownRuns(), QList<qint64>{*a});

            auto *model = runs->model();
            QVERIFY(model->setData(model->index(model->rowOf(*b), RunListModel::NameColumn),
                                   QStringLiteral("renamed")));
            QTRY_COMPARE((*store)->run(*b)->name, std::string("renamed"));
            runs->setUndoWindow(50);
            runs->selectRuns({*b});
            runs->deleteSelected();
            QTRY_VERIFY(!(*store)->run(*b).has_value());
            QCOMPARE(track::RunStore::opensOnThisThread(), opens);
        }
        QCOMPARE(track::RunStore::opensOnThisThread(), opens);
    }
};

LATHE_TEST_MAIN(TstMainWindow)
#include "tst_main_window.moc"
