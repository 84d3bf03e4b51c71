// Data-parallel training from the window (issue 18), driven like a user would: the form's
// "Workers" box set to 2 makes the toolbar's Start run the real `lathe-cli train --nproc 2` on
// the window's store; the run appears in the Runs table with 2 workers, the curves panel adds the
// workers' step-time chart (slowest and mean) and the status bar says the step times; Pause
// pauses every worker (the run is stored paused and its steps stop), Resume continues it, Stop
// ends lathe-cli and its workers, and the run is stored stopped. A child that
// fails at once (a batch too small to split between the workers) shows lathe-cli's message.
#include "core/track/run_store.h"
#include "core/train/run_config.h"
#include "panels/bridge/run_list_model.h"
#include "panels/common/plot_widget.h"
#include "panels/curves/curves_panel.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/runs/runs_panel.h"
#include "panels/window/data_parallel_run.h"
#include "panels/window/main_window.h"
#include "tests/panels/named_child.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"
#include "tests/panels/panel_test_support.h"

#include <QAbstractProxyModel>
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QThread>
#include <QToolBar>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

using namespace lathe;
using namespace lathe::panels;
using lathe::testing::clickToolButton;
using lathe::testing::saveGrab;
using lathe::testing::storedStatus;

namespace {

/// The shared tiny config on 1,200 images, a tenth held out, for 5 epochs: long enough to be
/// paused, resumed and stopped by hand once the step times are shown.
train::RunConfig dataParallelConfig()
{
    auto config = testing::tinyConfig(1200, 5);
    config.name = "dp-gui";
    config.data.valFraction = 0.1;
    config.training.threads = 0; // lathe-cli gives each worker cores / N threads
    return config;
}

/// The last step with a stored training loss (0 when none).
double storedStep(const std::filesystem::path &db, qint64 runId)
{
    auto store = track::RunStore::open(db);
    auto points = store ? (*store)->seriesXY(runId, "train/loss")
                        : Result<std::vector<track::SeriesPoint>>();
    return points && !points->empty() ? points->back().x : 0.0;
}

std::size_t storedRunCount(const std::filesystem::path &db)
{
    auto store = track::RunStore::open(db);
    auto runs = store ? (*store)->listRuns({}) : Result<std::vector<track::RunInfo>>();
    return runs ? runs->size() : 0;
}

/// The processes whose parent is `pid` (from /proc: lathe-cli's workers).
std::set<qint64> childrenOf(qint64 pid)
{
    std::set<qint64> children;
    for (const auto &entry : QDir("/proc").entryList(QDir::Dirs)) {
        bool numeric = false;
        const qint64 id = entry.toLongLong(&numeric);
        if (!numeric)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(id));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        // "pid (comm) state ppid ...": the fields after the command's closing parenthesis.
        const QString text = QString::fromUtf8(stat.readAll());
        const auto fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == pid)
            children.insert(id);
    }
    return children;
}

bool alive(qint64 pid)
{
    return QFile::exists(QStringLiteral("/proc/%1").arg(pid));
}

} // namespace

class TstDataParallelRun : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        if (QThread::idealThreadCount() < 2)
            QSKIP("data-parallel runs need 2 cores for 2 workers");
        QVERIFY(m_dir.isValid());
        // The config files the window writes for lathe-cli go under a temporary folder.
        qputenv("XDG_DATA_HOME", (m_dir.path() + "/data").toUtf8());
    }

    void workersFieldOffersTheCores()
    {
        auto window = openWindow("field", dataParallelConfig());
        auto *workers = namedChild<QSpinBox>(window.get(), "workers");
        QCOMPARE(workers->minimum(), 1);
        QCOMPARE(workers->maximum(), QThread::idealThreadCount());
        QCOMPARE(workers->value(), 1);
        QVERIFY(workers->toolTip().contains("cores / N threads"));
        auto *note = namedChild<QLabel>(window.get(), "workersNote");
        QCOMPARE(note->text(), QString("one process, in this window"));
        workers->setFocus();
        QTest::keyClick(workers, Qt::Key_Up);
        QCOMPARE(window->hyperparamsPanel()->workers(), 2);
        QVERIFY(note->text().startsWith("2 processes (lathe-cli)"));
        saveGrab(window.get(), "data-parallel-form");
    }

    void workersTrainOneRunThroughLatheCli()
    {
        auto window = openWindow("train", dataParallelConfig());
        auto &run = window->dataParallelRun();
        auto *workers = namedChild<QSpinBox>(window.get(), "workers");
        workers->selectAll();
        QTest::keyClicks(workers, "2");
        QCOMPARE(workers->value(), 2);

        clickToolButton(*window, window->startAction());
        QVERIFY(run.isActive());
        QVERIFY(!window->startAction()->isEnabled());
        QVERIFY(!window->pauseAction()->isEnabled()); // until rank 0 created the run
        QVERIFY(window->stopAction()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(run.runId() != 0, 60000);
        const qint64 runId = run.runId();
        QVERIFY(QFile::exists(run.configPath()));
        const qint64 pid = run.processId();
        QVERIFY(pid > 0);
        const auto children = childrenOf(pid);
        QCOMPARE(children.size(), std::size_t(2)); // the two workers

        // The Runs table: the run, 2 workers, like any run from a terminal.
        auto *model = window->runsPanel()->model();
        QTRY_VERIFY_WITH_TIMEOUT(model->rowOf(runId) >= 0, 10000);
        const auto cell = model->index(model->rowOf(runId), RunListModel::WorkersColumn);
        QCOMPARE(cell.data().toString(), QString("2"));
        QCOMPARE(cell.data(RunListModel::SortRole).toInt(), 2);
        QCOMPARE(model->headerData(RunListModel::WorkersColumn, Qt::Horizontal).toString(),
                 QString("Workers"));

        // The curves: the workers' step times in one chart, the slowest solid, the mean dashed.
        auto *curves = window->curvesPanel();
        QCOMPARE(curves->shownRuns(), QList<qint64>{runId});
        QTRY_VERIFY_WITH_TIMEOUT(curves->stepTimeChart() != nullptr, 60000);
        auto *chart = curves->stepTimeChart();
        QTRY_VERIFY_WITH_TIMEOUT(chart->series().size() >= 2, 20000);
        const auto &series = chart->series();
        QVERIFY(series[0].name.endsWith("slowest worker"));
        QVERIFY(!series[0].dashed);
        QVERIFY(series[1].name.endsWith("mean of the workers"));
        QVERIFY(series[1].dashed);
        QCOMPARE(series[0].points.size(), series[1].points.size());
        for (std::size_t i = 0; i < series[0].points.size(); ++i)
            QVERIFY(series[0].points[i].y >= series[1].points[i].y); // the slowest >= the mean

        // The status bar: "2 workers · step 28 ms (slowest 31 ms) · comm 6 ms".
        auto *label = namedChild<QLabel>(window.get(), "status-data-parallel");
        const QRegularExpression figures(
            R"(^2 workers · step [\d.]+ m?s \(slowest [\d.]+ m?s\) · comm [\d.]+ m?s$)");
        QTRY_VERIFY_WITH_TIMEOUT(figures.match(window->dataParallelText()).hasMatch(), 20000);
        QVERIFY(label->isVisible());
        QCOMPARE(label->text(), window->dataParallelText());
        QVERIFY(label->toolTip().contains("straggler"));
        saveGrab(window.get(), "data-parallel-running");
        saveGrab(curves, "data-parallel-curves"); // the whole panel, its step-time chart too

        // Pause: every worker waits after the same step; the stored run reads paused and its
        // steps stop. Resume: they go on.
        QVERIFY(window->pauseAction()->toolTip().contains("every worker"));
        clickToolButton(*window, window->pauseAction());
        QVERIFY(!window->pauseAction()->isEnabled());
        QVERIFY(window->resumeAction()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(storedStatus(m_db, runId), QString("paused"), 30000);
        const double pausedAt = storedStep(m_db, runId);
        QTest::qWait(2000);
        QCOMPARE(storedStep(m_db, runId), pausedAt);
        QCOMPARE(childrenOf(pid), children); // waiting, not gone
        saveGrab(window.get(), "data-parallel-paused");
        clickToolButton(*window, window->resumeAction());
        QVERIFY(window->pauseAction()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(storedStatus(m_db, runId), QString("running"), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(storedStep(m_db, runId) > pausedAt, 30000);

        // Stop: lathe-cli passes SIGINT to its workers; all of them end, the run is checkpointed.
        QSignalSpy ended(&run, &DataParallelRun::finished);
        clickToolButton(*window, window->stopAction());
        QVERIFY(!window->stopAction()->isEnabled()); // stopping
        QTRY_VERIFY_WITH_TIMEOUT(!run.isActive(), 60000);
        QCOMPARE(ended.size(), 1);
        QCOMPARE(ended.front().front().toString(), QString("stopped"));
        QVERIFY(!alive(pid));
        for (const qint64 child : children)
            QVERIFY2(!alive(child), qPrintable(QString("worker %1 still runs").arg(child)));
        QCOMPARE(storedStatus(m_db, runId), QString("stopped"));
        QVERIFY(window->startAction()->isEnabled());
        QCOMPARE(namedChild<QLabel>(window.get(), "status-state")->text(),
                 QString("Run %1 stopped (2 workers)").arg(runId));
        QCOMPARE(storedRunCount(m_db), std::size_t(1));
    }

    void aChildThatFailsAtOnceShowsItsMessage()
    {
        // A batch of 2 split over 2 workers leaves each 1 sample: the form cannot know it, the
        // workers refuse it.
        auto config = dataParallelConfig();
        config.training.batchSize = 2;
        auto window = openWindow("fails", config);
        namedChild<QSpinBox>(window.get(), "workers")->setValue(2);
        QSignalSpy failed(&window->dataParallelRun(), &DataParallelRun::failed);
        clickToolButton(*window, window->startAction());
        QTRY_VERIFY_WITH_TIMEOUT(!window->dataParallelRun().isActive(), 60000);
        QCOMPARE(failed.size(), 1);
        const QString message = failed.front().front().toString();
        QVERIFY2(message.contains("exited with code 3"), qPrintable(message));
        QVERIFY2(message.contains("raise the batch size or use fewer workers"),
                 qPrintable(message));
        QVERIFY(failed.front().back().toBool()); // before any run existed
        QMessageBox *box = nullptr;
        QTRY_VERIFY((box = window->findChild<QMessageBox *>("dataParallelFailure")) != nullptr);
        QVERIFY(box->isVisible());
        QCOMPARE(box->text(), message);
        saveGrab(box, "data-parallel-failure");
        box->close();
        QCOMPARE(storedRunCount(m_db), std::size_t(0));
        QVERIFY(window->startAction()->isEnabled());
    }

    void noLatheCliIsSaid()
    {
        auto window = openWindow("none", dataParallelConfig());
        window->dataParallelRun().setCliPath({});
        namedChild<QSpinBox>(window.get(), "workers")->setValue(2);
        QSignalSpy failed(&window->dataParallelRun(), &DataParallelRun::failed);
        clickToolButton(*window, window->startAction());
        QCOMPARE(failed.size(), 1);
        QVERIFY(failed.front().front().toString().startsWith("lathe-cli was not found"));
        QVERIFY(!window->dataParallelRun().isActive());
        if (auto *box = window->findChild<QMessageBox *>("dataParallelFailure"))
            box->close();
    }

private:
    /// The window on a fresh store named `name`, its form holding `config`, lathe-cli the
    /// built one; once the form has read its data (Start on).
    std::unique_ptr<MainWindow> openWindow(const QString &name, const train::RunConfig &config)
    {
        const auto folder = std::filesystem::path(m_dir.path().toStdString()) / name.toStdString();
        std::filesystem::create_directories(folder);
        m_db = folder / "lathe.db";
        const auto defaults = folder / "config.json";
        std::ofstream(defaults) << config.toJson().dump(2);
        auto window = std::make_unique<MainWindow>(WorkbenchOptions{m_db, defaults, false});
        window->dataParallelRun().setCliPath(LATHE_CLI_PATH);
        // LATHE_TEST_WINDOW_SIZE=1600x1000 for grabs of a larger screen.
        const auto size = qEnvironmentVariable("LATHE_TEST_WINDOW_SIZE", "1366x768").split('x');
        window->resize(size.value(0).toInt(), size.value(1).toInt());
        window->show();
        if (!QTest::qWaitForWindowExposed(window.get()))
            qFatal("the window is not shown");
        if (!QTest::qWaitFor([&] { return window->startAction()->isEnabled(); }, 20000))
            qFatal("the form never became valid");
        return window;
    }

    QTemporaryDir m_dir;
    std::filesystem::path m_db;
};

LATHE_TEST_MAIN(TstDataParallelRun)
#include "tst_data_parallel_run.moc"
