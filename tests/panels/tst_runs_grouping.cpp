// The Runs panel's "Group by": groups by a config key, by two keys and by repeat group, with the
// count and mean ± std (min..max) that stats::summarize gives (the numbers `lathe-cli compare
// --group-by` prints), expanding, selecting a group, sorting groups by a metric and a run added
// to the store joining its group live. Real widgets on a real store file, driven by QTest.
#include "core/stats/comparison.h"
#include "core/track/run_groups.h"
#include "core/track/run_store.h"
#include "core/util/join.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/run_group_model.h"
#include "panels/runs/runs_panel.h"
#include "tests/panels/named_child.h"
#include "tests/panels/run_groups_ui.h"
#include "tests/test_registry.h"

#include <QComboBox>
#include <QDir>
#include <QHeaderView>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTreeView>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>

using namespace lathe;
using namespace lathe::panels;

namespace {

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

/// A run's final metrics as stored: last test/accuracy (NaN: never logged), best val/accuracy
/// and last train/loss.
struct Finals
{
    double test = kNone, bestVal = 0, loss = 0;
};

nlohmann::json config(const std::string &optimizer, std::vector<int> widths)
{
    return {{"model", {{"arch", "mlp"}, {"widths", widths}}},
            {"optimizer", {{"name", optimizer}, {"lr", 0.001}}},
            {"training", {{"epochs", 3}}}};
}

/// "86.20 ± 0.41 % (85.70..86.80)" from the reference statistics, as the group row shows them.
QString expectedText(const stats::Summary &s, bool percent)
{
    const auto n = [&](double v) {
        return percent ? QString::number(v * 100, 'f', 2) : QString::number(v, 'g', 4);
    };
    const QString unit = percent ? QStringLiteral(" %") : QString();
    if (s.count == 0)
        return QStringLiteral("—");
    if (s.count == 1)
        return n(s.mean) + unit;
    return QStringLiteral("%1 ± %2%3 (%4..%5)")
        .arg(n(s.mean), n(s.stddev), unit, n(s.min), n(s.max));
}

} // namespace

class TestRunsGrouping : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<track::RunStore> m_store;
    std::unique_ptr<StoreClient> m_client;
    std::map<std::int64_t, Finals> m_finals;

    std::int64_t addRun(const std::string &name, const nlohmann::json &config, Finals f,
                        const std::string &tag = {})
    {
        auto id = m_store->createRun({.name = name, .configJson = config.dump()});
        if (!id)
            return 0;
        std::vector<track::MetricPoint> points{{*id, "val/accuracy", 10, 1, 0, f.bestVal - 0.02},
                                               {*id, "val/accuracy", 20, 2, 0, f.bestVal},
                                               {*id, "val/accuracy", 30, 3, 0, f.bestVal - 0.01},
                                               {*id, "train/loss", 30, 3, 0, f.loss}};
        if (!std::isnan(f.test))
            points.push_back({*id, "test/accuracy", 30, 3, 0, f.test});
        if (!m_store->addMetrics(points) || (!tag.empty() && !m_store->addTag(*id, tag)))
            return 0;
        m_finals[*id] = f;
        return *id;
    }

    std::unique_ptr<RunsPanel> openPanel()
    {
        auto panel = std::make_unique<RunsPanel>(*m_client);
        panel->model()->setPollInterval(100);
        panel->resize(1366, 768);
        panel->show();
        return panel;
    }

    /// The reference groups: track::groupRuns over every stored run, params read from the store.
    std::vector<track::RunGroup> referenceGroups(std::vector<std::string> keys)
    {
        auto runs = m_store->listRuns({});
        if (!runs)
            return {};
        return track::groupRuns(keys, *runs, [&](const track::RunInfo &run) {
            return m_store->params(run.id).value_or(track::RunParams{});
        });
    }

    /// Checks every group of `keys` against the reference grouping and statistics.
    void checkGroups(const QAbstractItemModel &tree, std::vector<std::string> keys)
    {
        const auto reference = referenceGroups(keys);
        QCOMPARE(tree.rowCount(), int(reference.size()));
        for (const auto &group : reference) {
            const auto row = groupRow(tree, group.runIds);
            QVERIFY2(row.isValid(), group.label(keys).c_str());
            QCOMPARE(row.data().toString(),
                     QString::fromStdString(util::join(group.values, " · ")));
            QCOMPARE(row.siblingAtColumn(RunListModel::StatusColumn).data().toString(),
                     QStringLiteral("%1 run%2")
                         .arg(group.runIds.size())
                         .arg(group.runIds.size() == 1 ? "" : "s"));
            QCOMPARE(tree.rowCount(row), int(group.runIds.size()));
            std::vector<double> test, best, loss;
            for (const auto id : group.runIds) {
                test.push_back(m_finals[id].test);
                best.push_back(m_finals[id].bestVal);
                loss.push_back(m_finals[id].loss);
            }
            const auto cell
                = [&](int column) { return row.siblingAtColumn(column).data().toString(); };
            QCOMPARE(cell(RunListModel::TestAccuracyColumn),
                     expectedText(stats::summarize(test), true));
            QCOMPARE(cell(RunListModel::BestValAccuracyColumn),
                     expectedText(stats::summarize(best), true));
            QCOMPARE(cell(RunListModel::TrainLossColumn),
                     expectedText(stats::summarize(loss), false));
        }
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / QTest::currentTestFunction()
               / "store.db";
        auto store = track::RunStore::open(m_db);
        QVERIFY(store.has_value());
        m_store = std::move(*store);
        m_finals.clear();
        // sgd [16,32] x3 and sgd [32,64] x2 as repeat groups; adamw [16,32] x2 of which one
        // has no test accuracy; adamw [32,64] alone, outside any repeat group.
        const double sgdSmall[] = {0.80, 0.82, 0.85};
        for (int i = 0; i < 3; ++i)
            QVERIFY(addRun("sgd-s" + std::to_string(i), config("sgd", {16, 32}),
                           {sgdSmall[i], sgdSmall[i] + 0.01, 0.5 - 0.1 * i}, "repeat:a"));
        QVERIFY(addRun("sgd-l0", config("sgd", {32, 64}), {0.86, 0.87, 0.31}, "repeat:b"));
        QVERIFY(addRun("sgd-l1", config("sgd", {32, 64}), {0.88, 0.88, 0.29}, "repeat:b"));
        QVERIFY(addRun("adamw-s0", config("adamw", {16, 32}), {0.89, 0.90, 0.2}, "repeat:c"));
        QVERIFY(addRun("adamw-s1", config("adamw", {16, 32}), {kNone, 0.91, 0.19}, "repeat:c"));
        QVERIFY(addRun("adamw-l0", config("adamw", {32, 64}), {0.91, 0.93, 0.1}));
        m_client = std::make_unique<StoreClient>(m_db);
    }

    void cleanup() { m_client.reset(); }

    void groupsByAConfigKeyThenASecond()
    {
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 8);
        auto *groups = namedChild<RunGroupModel>(panel.get(), "runGroupModel");
        auto *tree = namedChild<QTreeView>(panel.get(), "runGroupsTree");
        auto *proxy = tree->model();
        QSignalSpy grouped(groups, &RunGroupModel::grouped);

        // The run picked in the table stays picked in the tree, once the configs are read.
        const qint64 picked = panel->model()->runId(4);
        panel->selectRuns({picked});
        groupBy(*panel, "groupByCombo", QStringLiteral("optimizer.name"));
        QTRY_VERIFY(!grouped.isEmpty());
        QVERIFY(tree->isVisible());
        QTRY_COMPARE(panel->selectedRunIds(), QList<qint64>{picked});
        QVERIFY(!namedChild<QTableView>(panel.get(), "runsTable")->isVisible());
        checkGroups(*proxy, {"optimizer.name"});

        grouped.clear();
        groupBy(*panel, "thenByCombo", QStringLiteral("model.widths"));
        QTRY_VERIFY(!grouped.isEmpty());
        checkGroups(*proxy, {"optimizer.name", "model.widths"});

        // Back to none: the flat table again, with every run.
        groupBy(*panel, "groupByCombo", QStringLiteral("none"));
        QTRY_VERIFY(namedChild<QTableView>(panel.get(), "runsTable")->isVisible());
        QVERIFY(!tree->isVisible());
    }

    void groupsByRepeatAndSelectsAGroupsRuns()
    {
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 8);
        auto *tree = namedChild<QTreeView>(panel.get(), "runGroupsTree");
        auto *proxy = tree->model();
        groupBy(*panel, "groupByCombo", QStringLiteral("repeat"));
        QTRY_COMPARE(proxy->rowCount(), 4);
        checkGroups(*proxy, {"repeat"});

        // Clicking a group selects its runs for the rest of the window.
        QSignalSpy selected(panel.get(), &RunsPanel::selectionChanged);
        const auto reference = referenceGroups({"repeat"});
        const auto &a = *std::find_if(reference.begin(), reference.end(),
                                      [](const auto &g) { return g.values[0] == "a"; });
        const auto row = groupRow(*proxy, a.runIds);
        QVERIFY(row.isValid());
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, tree->visualRect(row).center());
        QTRY_VERIFY(!selected.isEmpty());
        auto ids = selected.last().at(0).value<QList<qint64>>();
        std::sort(ids.begin(), ids.end());
        QList<qint64> expected(a.runIds.begin(), a.runIds.end());
        std::sort(expected.begin(), expected.end());
        QCOMPARE(ids, expected);
        QCOMPARE(panel->selectedRunIds().size(), 3);

        // Right arrow expands it: its runs, with their own values.
        QVERIFY(!tree->isExpanded(row));
        QTest::keyClick(tree, Qt::Key_Right);
        QVERIFY(tree->isExpanded(row));
        QCOMPARE(proxy->rowCount(row), 3);
        const auto child = proxy->index(0, RunListModel::NameColumn, row);
        QVERIFY(tree->visualRect(child).isValid());
        QVERIFY(child.data().toString().startsWith(QStringLiteral("sgd-s")));

        // Selecting runs from elsewhere (the Sweeps panel's brushing) opens their group.
        const auto &b = *std::find_if(reference.begin(), reference.end(),
                                      [](const auto &g) { return g.values[0] == "b"; });
        const auto bRow = groupRow(*proxy, b.runIds);
        QVERIFY(!tree->isExpanded(bRow));
        panel->selectRuns({b.runIds.front()});
        QVERIFY(tree->isExpanded(bRow));
        QCOMPARE(panel->selectedRunIds(), QList<qint64>{b.runIds.front()});
        QCOMPARE(selected.last().at(0).value<QList<qint64>>(), QList<qint64>{b.runIds.front()});

        // Clicking one run of the first group selects that run alone.
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, tree->visualRect(child).center());
        QCOMPARE(panel->selectedRunIds(),
                 QList<qint64>{child.data(RunListModel::RunIdRole).toLongLong()});
    }

    void sortsGroupsByAMetric()
    {
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 8);
        auto *tree = namedChild<QTreeView>(panel.get(), "runGroupsTree");
        auto *proxy = tree->model();
        groupBy(*panel, "groupByCombo", QStringLiteral("repeat"));
        QTRY_COMPARE(proxy->rowCount(), 4);
        auto *header = tree->header();
        const int column = RunListModel::TestAccuracyColumn;
        for (int click = 0; click < 2; ++click) {
            QTest::mouseClick(
                header->viewport(), Qt::LeftButton, {},
                {header->sectionViewportPosition(column) + header->sectionSize(column) / 2,
                 header->height() / 2});
            QCOMPARE(header->sortIndicatorSection(), column);
            const bool ascending = header->sortIndicatorOrder() == Qt::AscendingOrder;
            for (int row = 1; row < proxy->rowCount(); ++row) {
                const double before
                    = proxy->index(row - 1, column).data(RunListModel::SortRole).toDouble();
                const double after
                    = proxy->index(row, column).data(RunListModel::SortRole).toDouble();
                QVERIFY2(ascending ? before <= after : before >= after,
                         qPrintable(QString::number(row)));
            }
        }
    }

    void aNewRunJoinsItsGroupAfterThePoll()
    {
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 8);
        auto *tree = namedChild<QTreeView>(panel.get(), "runGroupsTree");
        auto *proxy = tree->model();
        groupBy(*panel, "groupByCombo", QStringLiteral("model.widths"));
        QTRY_COMPARE(proxy->rowCount(), 2);
        const auto small = [&] {
            for (int row = 0; row < proxy->rowCount(); ++row)
                if (proxy->index(row, 0).data().toString() == QStringLiteral("[16,32]"))
                    return proxy->index(row, 0);
            return QModelIndex();
        };
        QVERIFY(small().isValid());
        tree->expand(small());
        QCOMPARE(proxy->rowCount(small()), 5);

        // Written by another connection, as a run the CLI trains: it joins its group, which
        // stays open, and its numbers change; a new width is a new group.
        QVERIFY(addRun("late", config("adamw", {16, 32}), {0.95, 0.96, 0.05}));
        QTRY_COMPARE(proxy->rowCount(small()), 6);
        QVERIFY(tree->isExpanded(small()));
        checkGroups(*proxy, {"model.widths"});
        QVERIFY(addRun("wide", config("adamw", {64, 128}), {0.7, 0.7, 0.7}));
        QTRY_COMPARE(proxy->rowCount(), 3);
        checkGroups(*proxy, {"model.widths"});

        // A run that finishes moves its group's numbers.
        const auto wide = m_finals.rbegin()->first;
        QVERIFY(m_store->setStatus(wide, track::RunStatus::Finished).has_value());
        QTRY_VERIFY(panel->model()->runRow(panel->model()->rowOf(wide)).status
                    == track::RunStatus::Finished);
        QVERIFY(tree->isExpanded(small()));

        // With LATHE_TEST_GRABS=<dir>: the grouped panel at 1366×768, one group open.
        const auto dir = qEnvironmentVariable("LATHE_TEST_GRABS");
        if (dir.isEmpty())
            return;
        QDir().mkpath(dir);
        groupBy(*panel, "groupByCombo", QStringLiteral("optimizer.name"));
        groupBy(*panel, "thenByCombo", QStringLiteral("model.widths"));
        QTRY_COMPARE(proxy->rowCount(), 5);
        tree->expand(proxy->index(0, 0));
        QTest::qWait(200);
        QVERIFY(panel->grab().save(QDir(dir).filePath("runs-panel-grouped.png")));
        // And in a Runs dock of a 1366×768 window.
        panel->resize(880, 439);
        QTest::qWait(200);
        QVERIFY(panel->grab().save(QDir(dir).filePath("runs-panel-grouped-dock.png")));
    }
};

LATHE_TEST_MAIN(TestRunsGrouping)
#include "tst_runs_grouping.moc"
