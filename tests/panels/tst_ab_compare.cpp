// "Compare A/B…" and "Repeat ×N…" driven through their real widgets on a real store: two repeat
// groups with known final metrics give the verdict core's stats::verdict gives for the same
// values, and their differing config keys (the seed aside) and, when they differ, where the
// sides ran (CPU, LibTorch, ...); one run a side says no conclusion
// is possible and offers "Repeat ×5"; two groups picked in the Runs panel's tree (one key or
// two) are the sides, from the Edit menu's action, its shortcut or the tree's context menu, and
// any other pick turns the action off saying why; the window's Repeat action trains a stored
// run's config N times with the real lathe-cli, the runs tagged as one repeat group.
#include "core/stats/comparison.h"
#include "core/track/run_groups.h"
#include "core/track/run_store.h"
#include "core/train/run_config.h"
#include "core/train/run_environment.h"
#include "core/util/environment.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/ab_compare_dialog.h"
#include "panels/runs/repeat_runner.h"
#include "panels/runs/runs_panel.h"
#include "panels/window/main_window.h"
#include "tests/panels/named_child.h"
#include "tests/panels/run_groups_ui.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QAction>
#include <QApplication>
#include <QContextMenuEvent>
#include <QDir>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QTreeView>
#include <QtTest>

#include <algorithm>
#include <fstream>
#include <memory>

using namespace lathe;
using namespace lathe::panels;

namespace {

/// The shared tiny config (tests/tiny_run.h) on 300 images, a fifth held out, one thread: runs
/// of seconds.
train::RunConfig abConfig()
{
    auto config = testing::tinyConfig(300);
    config.name = "tiny";
    config.data.valFraction = 0.2;
    config.training.threads = 1;
    return config;
}

QString text(QTableWidget *table, int row, int column)
{
    auto *item = table->item(row, column);
    return item ? item->text() : QString();
}

/// What the verdict on test/accuracy calls sides `a` and `b`.
stats::VerdictWords testAccuracyWords(const std::string &a, const std::string &b)
{
    return {a, b, "test/accuracy", true, 100, "points"};
}

/// The A/B dialog's header tooltip for sides of runs `a` and `b`: "A: runs 5, 6\nB: run 11".
QString sidesTip(const std::vector<std::int64_t> &a, const std::vector<std::int64_t> &b)
{
    const auto side = [](const char *name, const std::vector<std::int64_t> &ids) {
        QStringList list;
        for (const auto id : ids)
            list.append(QString::number(id));
        return QStringLiteral("%1: run%2 %3")
            .arg(name, ids.size() == 1 ? "" : "s", list.join(", "));
    };
    return side("A", a) + "\n" + side("B", b);
}

/// Scrolls `index` of `tree` into view (the Runs dock of a 1366×768 window shows a few rows)
/// and clicks it.
void clickRow(QTreeView *tree, const QModelIndex &index, Qt::KeyboardModifiers modifiers = {})
{
    tree->scrollTo(index);
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, modifiers,
                      tree->visualRect(index).center());
}

/// Makes `window` the active one, as a window manager would (for its shortcuts).
bool activate(QWidget &window)
{
    window.activateWindow();
    return QTest::qWaitForWindowActive(&window);
}

/// Right-clicks `index` of `tree` and, in the context menu, clicks "Compare A/B…" when it is on
/// (true) or closes the menu when it is off (false); none when no menu with that entry opens.
std::optional<bool> compareFromContextMenu(QTreeView *tree, const QModelIndex &index)
{
    std::optional<bool> on;
    QTimer poll;
    poll.setInterval(20);
    QObject::connect(&poll, &QTimer::timeout, [&] {
        auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget());
        if (!menu)
            return;
        poll.stop();
        const auto actions = menu->actions();
        const auto entry
            = std::ranges::find(actions, QStringLiteral("compareABAction"), &QAction::objectName);
        if (entry == actions.end()) {
            menu->close();
            return;
        }
        on = (*entry)->isEnabled();
        if (*on)
            QTest::mouseClick(menu, Qt::LeftButton, {}, menu->actionGeometry(*entry).center());
        else
            menu->close();
    });
    poll.start();
    tree->scrollTo(index);
    const QPoint pos = tree->visualRect(index).center();
    QTest::mouseClick(tree->viewport(), Qt::RightButton, {}, pos);
    // The platform's context menu event, which QTest's click does not make.
    QContextMenuEvent event(QContextMenuEvent::Mouse, pos, tree->viewport()->mapToGlobal(pos));
    QApplication::sendEvent(tree->viewport(), &event);
    return on;
}

/// The row of `table` whose first column is `key`; -1 when none is.
int rowOf(QTableWidget *table, const QString &key)
{
    for (int row = 0; row < table->rowCount(); ++row)
        if (text(table, row, 0) == key)
            return row;
    return -1;
}

} // namespace

class TestAbCompare : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<track::RunStore> m_store;

    void openStore(const char *name)
    {
        m_db = std::filesystem::path(m_dir->path().toStdString()) / name;
        auto store = track::RunStore::open(m_db);
        if (!store)
            qFatal("%s", store.error().toString().c_str());
        m_store = std::move(*store);
    }

    /// A finished run with `lr`, `seed` and `batchSize` in its config, test/accuracy `accuracy`, a
    /// val/accuracy series peaking at `accuracy` + 0.01, tagged `tag` when one is given.
    qint64 addRun(double lr, int seed, double accuracy, const std::string &tag = {},
                  std::int64_t batchSize = 64)
    {
        auto config = abConfig();
        config.optimizer.lr = lr;
        config.training.seed = std::uint64_t(seed);
        config.training.batchSize = batchSize;
        const auto id = m_store->createRun({"run", config.toJson().dump(), std::uint64_t(seed)});
        if (!id)
            qFatal("%s", id.error().toString().c_str());
        const std::vector<track::MetricPoint> points{
            {*id, "val/accuracy", 1, 1, 0, accuracy - 0.02},
            {*id, "val/accuracy", 2, 2, 0, accuracy + 0.01},
            {*id, "val/loss", 2, 2, 0, 1 - accuracy},
            {*id, "test/accuracy", 2, 2, 0, accuracy}};
        if (auto ok = m_store->addMetrics(points); !ok)
            qFatal("%s", ok.error().toString().c_str());
        if (!tag.empty() && !m_store->addTag(*id, tag))
            qFatal("cannot tag");
        if (!m_store->setStatus(*id, track::RunStatus::Finished))
            qFatal("cannot finish");
        return *id;
    }

    /// The dialog on sides `a` and `b`, shown, once it has read them.
    std::unique_ptr<AbCompareDialog> openDialog(StoreClient &client, compare::SideRef a,
                                                compare::SideRef b)
    {
        auto dialog = std::make_unique<AbCompareDialog>(client, std::move(a), std::move(b));
        dialog->show();
        if (!QTest::qWaitForWindowExposed(dialog.get()))
            qFatal("the dialog is not shown");
        auto *verdict = namedChild<QLabel>(dialog.get(), "abVerdict");
        if (!QTest::qWaitFor([&] { return !verdict->text().startsWith("Reading"); }, 10000))
            qFatal("the dialog never read its runs");
        return dialog;
    }

    /// The window on the store, its Runs panel listing `runs` runs; its Repeat runs the real
    /// lathe-cli.
    std::unique_ptr<MainWindow> openWindow(int runs)
    {
        const auto defaults = std::filesystem::path(m_dir->path().toStdString()) / "tiny.json";
        std::ofstream(defaults) << abConfig().toJson().dump(2);
        auto window = std::make_unique<MainWindow>(WorkbenchOptions{m_db, defaults, false});
        namedChild<RepeatRunner>(window.get(), "repeatRunner")->setCliPath(LATHE_CLI_PATH);
        window->resize(1366, 768);
        window->show();
        if (!QTest::qWaitForWindowExposed(window.get()))
            qFatal("the window is not shown");
        if (!QTest::qWaitFor([&] { return window->runsPanel()->model()->rowCount() == runs; },
                             10000))
            qFatal("the Runs panel never listed the %d runs", runs);
        return window;
    }

    /// The A/B dialog `window` shows, once it has read its sides (null when none opens).
    static AbCompareDialog *shownDialog(const MainWindow &window)
    {
        AbCompareDialog *shown = nullptr;
        const bool opened = QTest::qWaitFor(
            [&] {
                for (auto *dialog : window.findChildren<AbCompareDialog *>())
                    if (dialog->isVisible()
                        && !namedChild<QLabel>(dialog, "abSides")->toolTip().isEmpty())
                        shown = dialog;
                return shown != nullptr;
            },
            10000);
        return opened ? shown : nullptr;
    }

    /// The grouped-view fixture: four groups of lr × batch size with known test accuracies.
    struct GroupRuns
    {
        std::vector<std::int64_t> alpha, beta,
            gamma;             ///< repeat groups: lr 0.01 ×64, 0.001 ×64, ×32
        std::int64_t lone = 0; ///< lr 0.01, batch 32, in no repeat group
        const std::vector<double> alphaTest{0.80, 0.81, 0.79, 0.82};
        const std::vector<double> betaTest{0.84, 0.85, 0.83, 0.86};
        const std::vector<double> gammaTest{0.70, 0.72};
        static constexpr double kLoneTest = 0.60;
    };

    GroupRuns addGroupRuns()
    {
        GroupRuns g;
        for (int i = 0; i < 4; ++i)
            g.alpha.push_back(addRun(0.01, i, g.alphaTest[std::size_t(i)], "repeat:alpha"));
        for (int i = 0; i < 4; ++i)
            g.beta.push_back(addRun(0.001, i, g.betaTest[std::size_t(i)], "repeat:beta"));
        for (int i = 0; i < 2; ++i)
            g.gamma.push_back(addRun(0.001, i, g.gammaTest[std::size_t(i)], "repeat:gamma", 32));
        g.lone = addRun(0.01, 7, GroupRuns::kLoneTest, {}, 32);
        return g;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        // Repeat writes its configs under Lathe's data folder: this test's own.
        qputenv("XDG_DATA_HOME", (m_dir->path() + "/data").toUtf8());
        QStandardPaths::setTestModeEnabled(true); // the window's settings
    }

    void cleanup() { m_store.reset(); }

    void twoRepeatGroupsGetCoresVerdict()
    {
        openStore("groups.db");
        const std::vector<double> a{0.80, 0.81, 0.79, 0.80, 0.82};
        const std::vector<double> b{0.84, 0.85, 0.83, 0.86, 0.84};
        std::vector<qint64> idsA, idsB;
        for (int i = 0; i < 5; ++i) {
            idsA.push_back(addRun(0.01, i, a[std::size_t(i)], "repeat:alpha"));
            idsB.push_back(addRun(0.001, i, b[std::size_t(i)], "repeat:beta"));
        }
        addRun(0.01, 9, 0.5); // outside both groups
        StoreClient client(m_db);
        // One run of each group stands for its group.
        auto dialog = openDialog(client, {idsA[2]}, {idsB[0]});
        const stats::VerdictWords words{"repeat=alpha", "repeat=beta", "test/accuracy",
                                        true,           100,           "points"};
        auto *verdict = namedChild<QLabel>(dialog.get(), "abVerdict");
        QCOMPARE(verdict->text(), QString::fromStdString(stats::verdict(a, b, words)));
        QVERIFY2(verdict->text().startsWith("repeat=beta is better than repeat=alpha"),
                 qPrintable(verdict->text()));
        QVERIFY(namedChild<QPushButton>(dialog.get(), "abRepeat")->isHidden());
        QVERIFY(namedChild<QLabel>(dialog.get(), "abSides")->text().contains("5 runs"));

        auto *metrics = namedChild<QTableWidget>(dialog.get(), "abMetrics");
        const int test = rowOf(metrics, "test/accuracy");
        QVERIFY(test >= 0);
        const auto welch = stats::welchTest(a, b);
        QVERIFY(welch.has_value());
        QVERIFY2(text(metrics, test, 3)
                     .startsWith(QString("+%1 (").arg(welch->difference * 100, 0, 'f', 2)),
                 qPrintable(text(metrics, test, 3)));
        QCOMPARE(text(metrics, test, 4), QString::number(welch->pValue, 'g', 3));
        QCOMPARE(text(metrics, test, 5),
                 QString::number(stats::permutationTest(a, b)->pValue, 'g', 3));
        QVERIFY(rowOf(metrics, "best val/accuracy") >= 0);
        QVERIFY(rowOf(metrics, "val/loss") >= 0);

        auto *differences = namedChild<QTableWidget>(dialog.get(), "abConfigDiff");
        QVERIFY(differences->isVisible());
        QCOMPARE(differences->rowCount(), 1); // the seed left out
        QCOMPARE(text(differences, 0, 0), QString("optimizer.lr"));
        QCOMPARE(text(differences, 0, 1), QString("0.01"));
        QCOMPARE(text(differences, 0, 2), QString("0.001"));
        // No run recorded where it ran: nothing is said of it.
        QVERIFY(namedChild<QLabel>(dialog.get(), "abEnvironment")->isHidden());

        QTest::qWait(50); // the layouts settle
        const QString shot = QCoreApplication::applicationDirPath() + "/ab_compare.png";
        QVERIFY(dialog->grab().save(shot));
        qInfo("screenshot: %s", qPrintable(shot));
    }

    void keyValueSidesCompareTheSameRuns()
    {
        openStore("keys.db");
        for (int i = 0; i < 3; ++i) {
            addRun(0.01, i, 0.80 + 0.01 * i);
            addRun(0.001, i, 0.70 + 0.01 * i);
        }
        StoreClient client(m_db);
        auto dialog
            = openDialog(client, {0, {"optimizer.lr"}, {"0.01"}}, {0, {"optimizer.lr"}, {"0.001"}});
        const std::vector<double> a{0.80, 0.81, 0.82}, b{0.70, 0.71, 0.72};
        const stats::VerdictWords words{
            "optimizer.lr=0.01", "optimizer.lr=0.001", "test/accuracy", true, 100, "points"};
        QCOMPARE(namedChild<QLabel>(dialog.get(), "abVerdict")->text(),
                 QString::fromStdString(stats::verdict(a, b, words)));
    }

    void oneRunASideOffersRepeat()
    {
        openStore("single.db");
        const qint64 first = addRun(0.01, 1, 0.80);
        const qint64 second = addRun(0.01, 2, 0.83);
        StoreClient client(m_db);
        auto dialog = openDialog(client, {first}, {second});
        const std::vector<double> a{0.80}, b{0.83};
        const stats::VerdictWords words{"run 1 (run)", "run 2 (run-2)", "test/accuracy", true,
                                        100,           "points"};
        auto *verdict = namedChild<QLabel>(dialog.get(), "abVerdict");
        QCOMPARE(verdict->text(), QString::fromStdString(stats::verdict(a, b, words)));
        QVERIFY(verdict->text().contains("no conclusion"));
        // Only the seed differs: no config key is listed.
        QVERIFY(namedChild<QTableWidget>(dialog.get(), "abConfigDiff")->isHidden());
        auto *repeat = namedChild<QPushButton>(dialog.get(), "abRepeat");
        QVERIFY(repeat->isVisible());
        QCOMPARE(repeat->text(), QString("Repeat ×5"));
        const QString shot = QCoreApplication::applicationDirPath() + "/ab_compare_single.png";
        QVERIFY(dialog->grab().save(shot));
        qInfo("screenshot: %s", qPrintable(shot));
        QSignalSpy asked(dialog.get(), &AbCompareDialog::repeatRequested);
        QTest::mouseClick(repeat, Qt::LeftButton);
        QCOMPARE(asked.count(), 1);
        QCOMPARE(asked[0][0].value<QList<qint64>>(), (QList<qint64>{first, second}));
        QCOMPARE(asked[0][1].toInt(), 5);
        QVERIFY(!repeat->isEnabled());
    }

    // Two repeat groups of one config, recorded on different CPUs: the dialog says so under the
    // (empty) config diff, each side's CPU beside the other's; the same CPU says nothing.
    void groupsOnDifferentCpusSayWhere()
    {
        openStore("environments.db");
        util::RunEnvironment epyc;
        epyc.latheVersion = "0.1.0";
        epyc.torchVersion = "1.13.1";
        epyc.cpu.model = "AMD EPYC 9454 48-Core Processor";
        epyc.threads = 2;
        epyc.host = "lab-1";
        auto xeon = epyc;
        xeon.cpu.model = "Intel(R) Xeon(R) Platinum 8480+";
        for (int i = 0; i < 3; ++i) {
            const auto a = addRun(0.01, i, 0.80 + 0.01 * i, "repeat:epyc");
            QVERIFY_OK(train::recordEnvironment(*m_store, a, 0, epyc));
            const auto b = addRun(0.01, i, 0.81 + 0.01 * i, "repeat:xeon");
            QVERIFY_OK(train::recordEnvironment(*m_store, b, 0, i == 0 ? epyc : xeon));
        }
        StoreClient client(m_db);
        auto dialog = openDialog(client, {0, {"repeat"}, {"epyc"}}, {0, {"repeat"}, {"xeon"}});
        QVERIFY(namedChild<QTableWidget>(dialog.get(), "abConfigDiff")->isHidden());
        auto *environment = namedChild<QLabel>(dialog.get(), "abEnvironment");
        QVERIFY(environment->isVisible());
        QCOMPARE(environment->text(), QString("Same config, the groups ran on different CPU:"));
        auto *rows = namedChild<QTableWidget>(dialog.get(), "abEnvironmentDiff");
        QVERIFY(rows->isVisible());
        QCOMPARE(rows->rowCount(), 1);
        QCOMPARE(text(rows, 0, 0), QString("CPU"));
        QCOMPARE(text(rows, 0, 1), QString::fromStdString(epyc.cpu.model));
        // One run of B ran on A's CPU: B lists both, sorted.
        QCOMPARE(text(rows, 0, 2), QString::fromStdString(epyc.cpu.model + " | " + xeon.cpu.model));
        const QString shot = QCoreApplication::applicationDirPath() + "/ab_compare_env.png";
        QVERIFY(dialog->grab().save(shot));
        qInfo("screenshot: %s", qPrintable(shot));

        // A group against itself on another key: the same CPU, nothing to say.
        auto same = openDialog(client, {0, {"repeat"}, {"epyc"}}, {0, {"training.seed"}, {"0"}});
        QVERIFY(namedChild<QLabel>(same.get(), "abEnvironment")->isHidden());
        QVERIFY(namedChild<QTableWidget>(same.get(), "abEnvironmentDiff")->isHidden());
    }

    void twoGroupsOfTheTreeAreTheSides()
    {
        openStore("tree.db");
        const auto g = addGroupRuns();
        auto window = openWindow(11);
        auto *panel = window->runsPanel();
        auto *action = namedChild<QAction>(window.get(), "compareABAction");
        auto *tree = namedChild<QTreeView>(panel, "runGroupsTree");
        auto *proxy = tree->model();
        groupBy(*panel, "groupByCombo", "optimizer.lr");
        QTRY_COMPARE(proxy->rowCount(), 2);
        QVERIFY(!action->isEnabled());

        // lr 0.001 (beta and gamma) and lr 0.01 (alpha and the lone run): Edit → Compare A/B.
        std::vector<std::int64_t> low = g.beta, high = g.alpha;
        low.insert(low.end(), g.gamma.begin(), g.gamma.end());
        high.push_back(g.lone);
        clickRow(tree, groupRow(*proxy, low));
        clickRow(tree, groupRow(*proxy, high), Qt::ControlModifier);
        QVERIFY2(action->isEnabled(), qPrintable(action->toolTip()));
        QVERIFY(action->toolTip().contains("two selected groups"));
        action->trigger();
        auto *dialog = shownDialog(*window);
        QVERIFY(dialog);
        auto *sides = namedChild<QLabel>(dialog, "abSides");
        QCOMPARE(sides->toolTip(), sidesTip(low, high));
        QVERIFY2(sides->text().contains("optimizer.lr=0.001 (6 runs)")
                     && sides->text().contains("optimizer.lr=0.01 (5 runs)"),
                 qPrintable(sides->text()));
        std::vector<double> lowTest = g.betaTest, highTest = g.alphaTest;
        lowTest.insert(lowTest.end(), g.gammaTest.begin(), g.gammaTest.end());
        highTest.push_back(GroupRuns::kLoneTest);
        auto *verdict = namedChild<QLabel>(dialog, "abVerdict");
        QCOMPARE(
            verdict->text(),
            QString::fromStdString(stats::verdict(
                lowTest, highTest, testAccuracyWords("optimizer.lr=0.001", "optimizer.lr=0.01"))));
        QVERIFY(namedChild<QPushButton>(dialog, "abRepeat")->isHidden());
        dialog->close();

        // Then by batch size: a group is both values. lr 0.001 ×64 (beta) against lr 0.01 ×64
        // (alpha), by the action's shortcut.
        groupBy(*panel, "thenByCombo", "training.batch_size");
        QTRY_COMPARE(proxy->rowCount(), 4);
        clickRow(tree, groupRow(*proxy, g.beta));
        clickRow(tree, groupRow(*proxy, g.alpha), Qt::ControlModifier);
        QVERIFY2(action->isEnabled(), qPrintable(action->toolTip()));
        QVERIFY(activate(*window));
        QTest::keyClick(tree, Qt::Key_D, Qt::ControlModifier | Qt::ShiftModifier);
        dialog = shownDialog(*window);
        QVERIFY(dialog);
        sides = namedChild<QLabel>(dialog, "abSides");
        QCOMPARE(sides->toolTip(), sidesTip(g.beta, g.alpha));
        const std::string lowLabel = "optimizer.lr=0.001, training.batch_size=64";
        const std::string highLabel = "optimizer.lr=0.01, training.batch_size=64";
        QVERIFY2(sides->text().contains(QString::fromStdString(lowLabel) + " (4 runs)"),
                 qPrintable(sides->text()));
        verdict = namedChild<QLabel>(dialog, "abVerdict");
        QCOMPARE(verdict->text(),
                 QString::fromStdString(stats::verdict(g.betaTest, g.alphaTest,
                                                       testAccuracyWords(lowLabel, highLabel))));
        QVERIFY2(verdict->text().startsWith(
                     QString::fromStdString(lowLabel + " is better than " + highLabel)),
                 qPrintable(verdict->text()));
        auto *differences = namedChild<QTableWidget>(dialog, "abConfigDiff");
        QCOMPARE(differences->rowCount(), 1);
        QCOMPARE(text(differences, 0, 0), QString("optimizer.lr"));
        if (const auto dir = qEnvironmentVariable("LATHE_TEST_GRABS"); !dir.isEmpty()) {
            QDir().mkpath(dir);
            QTest::qWait(50); // the layouts settle
            QVERIFY(dialog->grab().save(QDir(dir).filePath("ab-compare-groups.png")));
        }
    }

    void aGroupOfOneRunOffersRepeat()
    {
        openStore("lone.db");
        const auto g = addGroupRuns();
        auto window = openWindow(11);
        auto *panel = window->runsPanel();
        auto *tree = namedChild<QTreeView>(panel, "runGroupsTree");
        auto *proxy = tree->model();
        groupBy(*panel, "groupByCombo", "optimizer.lr");
        groupBy(*panel, "thenByCombo", "training.batch_size");
        QTRY_COMPARE(proxy->rowCount(), 4);

        // lr 0.001 ×32 (gamma, 2 runs) and lr 0.01 ×32 (one run), from the tree's context menu.
        const auto loneGroup = groupRow(*proxy, {g.lone});
        clickRow(tree, groupRow(*proxy, g.gamma));
        clickRow(tree, loneGroup, Qt::ControlModifier);
        QCOMPARE(compareFromContextMenu(tree, loneGroup), std::optional(true));
        auto *dialog = shownDialog(*window);
        QVERIFY(dialog);
        auto *sides = namedChild<QLabel>(dialog, "abSides");
        QCOMPARE(sides->toolTip(), sidesTip(g.gamma, {g.lone}));
        QVERIFY2(sides->text().contains("optimizer.lr=0.01, training.batch_size=32 (1 run)"),
                 qPrintable(sides->text()));
        auto *verdict = namedChild<QLabel>(dialog, "abVerdict");
        QCOMPARE(verdict->text(),
                 QString::fromStdString(stats::verdict(
                     g.gammaTest, std::vector{GroupRuns::kLoneTest},
                     testAccuracyWords("optimizer.lr=0.001, training.batch_size=32",
                                       "optimizer.lr=0.01, training.batch_size=32"))));
        QVERIFY(verdict->text().contains("no conclusion"));
        if (const auto dir = qEnvironmentVariable("LATHE_TEST_GRABS"); !dir.isEmpty()) {
            QDir().mkpath(dir);
            QTest::qWait(50);
            QVERIFY(dialog->grab().save(QDir(dir).filePath("ab-compare-group-of-one.png")));
        }

        // Repeat ×5 asks for the lone run (the runner here finds no lathe-cli: nothing trains).
        namedChild<RepeatRunner>(window.get(), "repeatRunner")->setCliPath({});
        auto *repeat = namedChild<QPushButton>(dialog, "abRepeat");
        QVERIFY(repeat->isVisible());
        QSignalSpy asked(dialog, &AbCompareDialog::repeatRequested);
        QTest::mouseClick(repeat, Qt::LeftButton);
        QCOMPARE(asked.count(), 1);
        QCOMPARE(asked[0][0].value<QList<qint64>>(), QList<qint64>{g.lone});
        // Its repeats, once named and stored, are that side.
        const std::vector<std::int64_t> repeats{addRun(0.01, 7, 0.61, "repeat:again", 32),
                                                addRun(0.01, 8, 0.63, "repeat:again", 32)};
        dialog->followGroup(g.lone, "again");
        dialog->refresh();
        QTRY_COMPARE(sides->toolTip(), sidesTip(g.gamma, repeats));
        QVERIFY2(sides->text().contains("repeat=again (2 runs)"), qPrintable(sides->text()));
    }

    void otherPicksTurnTheActionOffSayingWhy()
    {
        openStore("picks.db");
        const auto g = addGroupRuns();
        auto window = openWindow(11);
        auto *panel = window->runsPanel();
        auto *action = namedChild<QAction>(window.get(), "compareABAction");
        auto *tree = namedChild<QTreeView>(panel, "runGroupsTree");
        auto *proxy = tree->model();
        groupBy(*panel, "groupByCombo", "optimizer.lr");
        groupBy(*panel, "thenByCombo", "training.batch_size");
        QTRY_COMPARE(proxy->rowCount(), 4);
        const auto alpha = groupRow(*proxy, g.alpha), beta = groupRow(*proxy, g.beta);
        const auto gamma = groupRow(*proxy, g.gamma);

        // One group.
        clickRow(tree, alpha);
        QVERIFY(!action->isEnabled());
        QCOMPARE(action->toolTip(),
                 QString("Compare A/B compares exactly two groups (1 selected)"));
        // Three groups.
        clickRow(tree, beta, Qt::ControlModifier);
        QVERIFY(action->isEnabled());
        clickRow(tree, gamma, Qt::ControlModifier);
        QVERIFY(!action->isEnabled());
        QCOMPARE(action->toolTip(),
                 QString("Compare A/B compares exactly two groups (3 selected)"));
        // A group and a run of another group.
        tree->expand(beta);
        const auto betaRun = proxy->index(0, 0, beta);
        QVERIFY(tree->visualRect(betaRun).isValid());
        clickRow(tree, alpha);
        clickRow(tree, betaRun, Qt::ControlModifier);
        QVERIFY(!action->isEnabled());
        QVERIFY2(action->toolTip().contains("not a group with a run"),
                 qPrintable(action->toolTip()));
        // The context menu shows the entry off too, and the shortcut opens nothing.
        QCOMPARE(compareFromContextMenu(tree, alpha), std::optional(false));
        QVERIFY(activate(*window));
        QTest::keyClick(tree, Qt::Key_D, Qt::ControlModifier | Qt::ShiftModifier);
        QTest::qWait(200);
        QVERIFY(window->findChildren<AbCompareDialog *>().isEmpty());

        // Two runs of the tree: each stands for its repeat group, as in the table.
        clickRow(tree, betaRun);
        tree->expand(alpha);
        clickRow(tree, proxy->index(1, 0, alpha), Qt::ControlModifier);
        QVERIFY2(action->isEnabled(), qPrintable(action->toolTip()));
        QVERIFY(action->toolTip().contains("two selected runs"));
        action->trigger();
        auto *dialog = shownDialog(*window);
        QVERIFY(dialog);
        // The tree shows lr 0.001 before 0.01: beta's run is A.
        QCOMPARE(namedChild<QLabel>(dialog, "abSides")->toolTip(), sidesTip(g.beta, g.alpha));
        QVERIFY(namedChild<QLabel>(dialog, "abSides")->text().contains("repeat=beta (4 runs)"));
    }

    void repeatReportsFailuresAndStops()
    {
        openStore("failures.db");
        auto config = abConfig();
        config.data.path = (m_dir->path() + "/no-such-data").toStdString();
        const auto broken = m_store->createRun({"broken", config.toJson().dump(), 1});
        QVERIFY_OK(broken);
        config = abConfig();
        config.training.epochs = 200; // long enough to be stopped
        const auto slow = m_store->createRun({"slow", config.toJson().dump(), 1});
        QVERIFY_OK(slow);
        StoreClient client(m_db);
        RepeatRunner runner(client);
        auto *status = namedChild<QLabel>(&runner, "repeatStatus");
        const auto failedWith = [&](const QString &start) {
            return status->text().startsWith(start) && status->styleSheet().contains("color");
        };
        // No lathe-cli beside the program: said so, in red.
        runner.setCliPath({});
        runner.repeat({*broken}, 2, 1);
        QTRY_VERIFY2(
            failedWith(QString("Repeat of run %1 failed: lathe-cli was not found").arg(*broken)),
            qPrintable(status->text()));
        // lathe-cli failing every run: its exit code and the end of its stderr.
        runner.setCliPath(LATHE_CLI_PATH);
        QSignalSpy finished(&runner, &RepeatRunner::groupFinished);
        runner.repeat({*broken}, 2, 1);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY(!finished[0][2].toBool());
        QVERIFY2(
            failedWith(
                QString("Repeat of run %1 failed: lathe-cli train exited with code").arg(*broken))
                && status->text().contains("no-such-data"),
            qPrintable(status->text()));
        // Stop: SIGINT; the running run stops with a checkpoint and no other starts.
        runner.repeat({*slow}, 3, 1);
        auto *stop = namedChild<QPushButton>(&runner, "repeatStop");
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("1 of 3 runs started"), 60000);
        QTRY_VERIFY(stop->isVisible());
        QTest::qWait(1000); // into its training
        QTest::mouseClick(stop, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
        QVERIFY(!finished[1][2].toBool());
        QVERIFY2(status->text().contains("stopped after starting 1 of 3 runs"),
                 qPrintable(status->text()));
        QVERIFY(!stop->isVisible());
        auto runs = m_store->listRuns({});
        QVERIFY_OK(runs);
        int stopped = 0;
        for (const auto &run : *runs)
            if (track::groupValue("repeat", run, {}) == finished[1][1].toString().toStdString()) {
                QCOMPARE(QString::fromUtf8(track::toString(run.status)), QString("stopped"));
                ++stopped;
            }
        QCOMPARE(stopped, 1);
    }

    void repeatFromTheWindowTrainsAGroup()
    {
        openStore("window.db");
        const auto config = abConfig();
        const auto id = m_store->createRun({"tiny", config.toJson().dump(), config.training.seed});
        QVERIFY_OK(id);
        QVERIFY_OK(m_store->setStatus(*id, track::RunStatus::Finished));
        const auto shown = openWindow(1);
        auto &window = *shown;
        auto *repeatAction = namedChild<QAction>(&window, "repeatRunAction");
        auto *compareAction = namedChild<QAction>(&window, "compareABAction");
        QVERIFY(!repeatAction->isEnabled());
        // The Runs panel lists the run once it has polled the store.
        QTRY_VERIFY_WITH_TIMEOUT((window.runsPanel()->selectRuns({*id}), repeatAction->isEnabled()),
                                 10000);
        QVERIFY(!compareAction->isEnabled());
        repeatAction->trigger();
        auto *dialog = namedChild<QDialog>(&window, "repeatDialog");
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        auto *count = namedChild<QSpinBox>(dialog, "repeatCount");
        QCOMPARE(count->value(), 5);
        QCOMPARE(namedChild<QSpinBox>(dialog, "repeatWorkers")->value(), 1);
        count->setFocus();
        QTest::keyClick(count, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClicks(count, "2");
        QTest::mouseClick(namedChild<QPushButton>(dialog, "repeatOk"), Qt::LeftButton);

        auto *status = namedChild<QLabel>(&window, "repeatStatus");
        QTRY_VERIFY_WITH_TIMEOUT(namedChild<QPushButton>(&window, "repeatStop")->isVisible(),
                                 10000);
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("2 of 2 runs trained"), 180000);
        QVERIFY2(status->styleSheet().isEmpty(), qPrintable(status->text()));
        const QString shot = QCoreApplication::applicationDirPath() + "/repeat_status.png";
        QVERIFY(window.statusBar()->grab().save(shot));
        qInfo("screenshot: %s", qPrintable(shot));
        auto runs = m_store->listRuns({});
        QVERIFY_OK(runs);
        std::vector<qint64> repeats;
        std::string group;
        for (const auto &run : *runs) {
            const auto value = track::groupValue("repeat", run, {});
            if (value == track::kNoGroupValue)
                continue;
            QVERIFY(group.empty() || value == group);
            group = value;
            repeats.push_back(run.id);
            QCOMPARE(QString::fromUtf8(track::toString(run.status)), QString("finished"));
        }
        QCOMPARE(repeats.size(), std::size_t(2));
        QVERIFY2(status->text().contains(QString::fromStdString(group)),
                 qPrintable(status->text()));

        // The original run against one of its repeats (their group): Compare A/B.
        QTRY_VERIFY_WITH_TIMEOUT(
            (window.runsPanel()->selectRuns({*id, repeats.front()}), compareAction->isEnabled()),
            10000);
        compareAction->trigger();
        auto *compare = namedChild<AbCompareDialog>(&window, "abCompareDialog");
        QVERIFY(QTest::qWaitForWindowExposed(compare));
        auto *sides = namedChild<QLabel>(compare, "abSides");
        QTRY_VERIFY(sides->text().contains(QString::fromStdString("repeat=" + group)));
        QVERIFY(sides->text().contains("2 runs"));
        QVERIFY(namedChild<QLabel>(compare, "abVerdict")->text().contains("no conclusion"));
        compare->close();

        // "Start ×N…": the form's config, as a group of its own.
        QSignalSpy finished(namedChild<RepeatRunner>(&window, "repeatRunner"),
                            &RepeatRunner::groupFinished);
        auto *repeatForm = namedChild<QAction>(&window, "repeatFormAction");
        QVERIFY(repeatForm->isEnabled());
        repeatForm->trigger();
        auto *formDialog = namedChild<QDialog>(&window, "repeatDialog");
        QVERIFY(QTest::qWaitForWindowExposed(formDialog));
        namedChild<QSpinBox>(formDialog, "repeatCount")->setValue(2);
        QTest::mouseClick(namedChild<QPushButton>(formDialog, "repeatOk"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 180000);
        QVERIFY2(finished[0][2].toBool(), qPrintable(status->text()));
        QCOMPARE(finished[0][0].toLongLong(), 0);
        const auto formGroup = finished[0][1].toString().toStdString();
        QVERIFY(formGroup != group);
        runs = m_store->listRuns({});
        QVERIFY_OK(runs);
        QCOMPARE(std::ranges::count_if(*runs,
                                       [&](const track::RunInfo &run) {
                                           return track::groupValue("repeat", run, {}) == formGroup
                                                  && run.name.starts_with("tiny-r");
                                       }),
                 2);
    }
};

LATHE_TEST_MAIN(TestAbCompare)
#include "tst_ab_compare.moc"
