#include "../tiny_run.h"
#include "core/track/run_store.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/runs/compare_view.h"
#include "panels/runs/config_diff_view.h"
#include "panels/runs/delete_undo_bar.h"
#include "panels/common/plot_widget.h"
#include "panels/runs/parallel_coords_widget.h"
#include "panels/runs/run_notes_editor.h"
#include "panels/runs/runs_panel.h"

#include <QAction>
#include <QCheckBox>
#include <QHeaderView>
#include <QTabBar>
#include <QDir>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include "tests/panels/named_child.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <nlohmann/json.hpp>

using namespace lathe;
using namespace lathe::panels;

namespace {

nlohmann::json baseConfig()
{
    return {{"model", {{"arch", "mlp"}, {"dropout", 0.1}}},
            {"optimizer", {{"name", "adamw"}, {"lr", 0.001}, {"weight_decay", 0.01}}},
            {"training", {{"epochs", 2}, {"batch_size", 128}}}};
}

} // namespace

class TestRunsPanel : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<track::RunStore> m_store;
    std::unique_ptr<StoreClient> m_client; // the panels' door to the store, as a window has
    std::int64_t m_a = 0, m_b = 0, m_c = 0;

    std::int64_t addRun(const std::string &name, const nlohmann::json &config, double valAcc)
    {
        auto id = m_store->createRun({.name = name, .configJson = config.dump()});
        if (!id)
            return 0;
        std::vector<track::MetricPoint> points;
        for (int epoch = 1; epoch <= 3; ++epoch)
            points.push_back(
                {*id, "val/accuracy", epoch * 10, double(epoch), 0, valAcc - 0.05 * (3 - epoch)});
        points.push_back({*id, "test/accuracy", 30, 3, 0, valAcc - 0.01});
        points.push_back({*id, "train/loss", 30, 3, 0, 1.0 - valAcc});
        return m_store->addMetrics(points) ? *id : 0;
    }

    std::unique_ptr<RunsPanel> openPanel()
    {
        auto panel = std::make_unique<RunsPanel>(*m_client);
        panel->model()->setPollInterval(100);
        panel->resize(1100, 700);
        panel->show();
        return panel;
    }

    // Clicks the row showing run `id` (with `modifier`, e.g. Ctrl to extend the selection).
    static void clickRun(RunsPanel &panel, qint64 id, Qt::KeyboardModifiers modifier = {})
    {
        auto *model = panel.model();
        const auto index = namedChild<QSortFilterProxyModel>(&panel, "runsProxy")
                               ->mapFromSource(model->index(model->rowOf(id), 1));
        QVERIFY(index.isValid());
        auto *table = namedChild<QTableView>(&panel, "runsTable");
        QTest::mouseClick(table->viewport(), Qt::LeftButton, modifier,
                          table->visualRect(index).center());
    }

    bool storeHasRun(std::int64_t id) { return m_store->run(id).has_value(); }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        // One folder per test: a trained run's checkpoints go to <db folder>/runs/<id>.
        m_db = std::filesystem::path(m_dir.path().toStdString())
               / (std::string(QTest::currentTestFunction())
                  + (QTest::currentDataTag() ? std::string("-") + QTest::currentDataTag() : ""))
               / "store.db";
        auto store = track::RunStore::open(m_db);
        QVERIFY(store.has_value());
        m_store = std::move(*store);
        auto b = baseConfig();
        b["optimizer"]["lr"] = 0.01;
        auto c = baseConfig();
        c["model"]["arch"] = "cnn";
        c["training"]["batch_size"] = 64;
        m_a = addRun("alpha", baseConfig(), 0.86);
        m_b = addRun("beta", b, 0.84);
        m_c = addRun("gamma", c, 0.90);
        QVERIFY(m_a > 0 && m_b > 0 && m_c > 0);
        QVERIFY(m_store->addTag(m_c, "conv").has_value());
        m_client = std::make_unique<StoreClient>(m_db);
    }

    void cleanup() { m_client.reset(); }

    void showsRunsWithTheirColumns()
    {
        auto panel = openPanel();
        auto *model = panel->model();
        QTRY_COMPARE(model->rowCount(), 3);
        QCOMPARE(model->columnCount(), int(RunListModel::ColumnCount));
        QCOMPARE(model->headerData(RunListModel::BestValAccuracyColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Best val"));
        const int row = model->rowOf(m_c);
        const auto cell = [&](int column) { return model->index(row, column).data().toString(); };
        QCOMPARE(cell(RunListModel::NameColumn), QStringLiteral("gamma"));
        QCOMPARE(cell(RunListModel::StatusColumn), QStringLiteral("Created"));
        QCOMPARE(cell(RunListModel::ModelColumn), QStringLiteral("cnn"));
        QCOMPARE(cell(RunListModel::OptimizerColumn), QStringLiteral("adamw"));
        QCOMPARE(cell(RunListModel::LrColumn), QStringLiteral("0.001"));
        QCOMPARE(cell(RunListModel::BestValAccuracyColumn), QStringLiteral("90.00 %"));
        QCOMPARE(cell(RunListModel::TestAccuracyColumn), QStringLiteral("89.00 %"));
        QCOMPARE(cell(RunListModel::TagsColumn), QStringLiteral("conv"));

        // Sorting by best val accuracy is numeric; the filter matches tags.
        namedChild<QTableView>(panel.get(), "runsTable")
            ->sortByColumn(RunListModel::BestValAccuracyColumn, Qt::AscendingOrder);
        auto *proxy = namedChild<QSortFilterProxyModel>(panel.get(), "runsProxy");
        QCOMPARE(proxy->index(0, 0).data().toString(), QStringLiteral("beta"));
        QCOMPARE(proxy->index(2, 0).data().toString(), QStringLiteral("gamma"));
        QTest::keyClicks(namedChild<QLineEdit>(panel.get(), "runsFilter"), "CONV");
        QCOMPARE(proxy->rowCount(), 1);
        QCOMPARE(proxy->index(0, 0).data().toString(), QStringLiteral("gamma"));
    }

    // A DP-SGD run's epsilon (its last privacy/epsilon row, as the trainer stores one a step)
    // shows in its own column, delta in the tooltip; sorting is by number; a run that is not
    // private has an empty cell, sorted with the missing values.
    void privateRunsShowTheirEpsilon()
    {
        const auto addPrivacy = [&](std::int64_t id, std::vector<double> epsilons) {
            std::vector<track::MetricPoint> points;
            for (std::size_t i = 0; i < epsilons.size(); ++i) {
                const auto step = std::int64_t(i + 1);
                points.push_back({id, "privacy/epsilon", step, 0.1 * double(step), 0, epsilons[i]});
                points.push_back({id, "privacy/delta", step, 0.1 * double(step), 0, 1e-5});
            }
            return m_store->addMetrics(points).has_value();
        };
        QVERIFY(addPrivacy(m_a, {0.5, 1.9, 2.99999735}));
        QVERIFY(addPrivacy(m_b, {4.0, 10.25})); // sorts after 2.99 as a number, before as text
        auto panel = openPanel();
        auto *model = panel->model();
        QTRY_COMPARE(model->rowCount(), 3);
        QCOMPARE(model->headerData(RunListModel::EpsilonColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Epsilon"));
        const auto cell = [&](std::int64_t id, int role = Qt::DisplayRole) {
            return model->index(model->rowOf(id), RunListModel::EpsilonColumn).data(role);
        };
        QCOMPARE(cell(m_a).toString(), QStringLiteral("3.00"));
        QCOMPARE(cell(m_b).toString(), QStringLiteral("10.25"));
        QCOMPARE(cell(m_c).toString(), QString());
        QVERIFY2(
            cell(m_a, Qt::ToolTipRole).toString().contains(QStringLiteral("epsilon 2.99999735")),
            qPrintable(cell(m_a, Qt::ToolTipRole).toString()));
        QVERIFY(cell(m_a, Qt::ToolTipRole).toString().contains(QStringLiteral("delta 1e-05")));
        QVERIFY(!cell(m_c, Qt::ToolTipRole).isValid());

        auto *table = namedChild<QTableView>(panel.get(), "runsTable");
        auto *proxy = namedChild<QSortFilterProxyModel>(panel.get(), "runsProxy");
        const auto order = [&] {
            QStringList names;
            for (int row = 0; row < proxy->rowCount(); ++row)
                names << proxy->index(row, RunListModel::NameColumn).data().toString();
            return names;
        };
        table->sortByColumn(RunListModel::EpsilonColumn, Qt::AscendingOrder);
        QCOMPARE(order(), (QStringList{"gamma", "alpha", "beta"}));
        table->sortByColumn(RunListModel::EpsilonColumn, Qt::DescendingOrder);
        QCOMPARE(order(), (QStringList{"beta", "alpha", "gamma"}));

        // A run that goes on spending shows its newer epsilon at the next poll.
        QVERIFY(m_store->setStatus(m_c, track::RunStatus::Running).has_value());
        QVERIFY(addPrivacy(m_c, {0.75}));
        QTRY_COMPARE(cell(m_c).toString(), QStringLiteral("0.75"));
        const std::vector<track::MetricPoint> later{{m_c, "privacy/epsilon", 2, 0.2, 0, 1.5}};
        QVERIFY(m_store->addMetrics(later).has_value());
        QTRY_COMPARE(cell(m_c).toString(), QStringLiteral("1.50"));
    }

    void comparingTwoRunsListsOnlyDifferingKeys()
    {
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        QSignalSpy selection(panel.get(), &RunsPanel::selectionChanged);
        clickRun(*panel, m_a);
        clickRun(*panel, m_b, Qt::ControlModifier);
        QCOMPARE(selection.last().first().value<QList<qint64>>().size(), 2);
        auto *diff = namedChild<ConfigDiffView>(panel.get(), "configDiffView");
        QTRY_COMPARE(diff->keys(), QStringList{QStringLiteral("optimizer.lr")});
        QCOMPARE(diff->columnCount(), 3);
        const int lr = int(diff->resultLabels().size()); // the results come first
        QSet<QString> values{diff->item(lr, 1)->text(), diff->item(lr, 2)->text()};
        QCOMPARE(values, (QSet<QString>{QStringLiteral("0.001"), QStringLiteral("0.01")}));

        clickRun(*panel, m_c, Qt::ControlModifier);
        clickRun(*panel, m_b, Qt::ControlModifier);
        QCOMPARE(panel->selectedRunIds().size(), 2);
        QTRY_COMPARE(diff->keys(), (QStringList{QStringLiteral("model.arch"),
                                                QStringLiteral("training.batch_size")}));

        // Parallel coordinates: the numeric keys that differ, then the metric axis.
        auto *coords = namedChild<ParallelCoordsWidget>(panel.get(), "parallelCoords");
        QTRY_COMPARE(coords->lines().size(), std::size_t(2));
        QStringList axes;
        for (const auto &axis : coords->axes())
            axes.push_back(axis.name);
        QCOMPARE(axes, (QStringList{QStringLiteral("training.batch_size"),
                                    QStringLiteral("Best val/accuracy")}));
    }

    // Two runs at batch 128 that differ in lr: one hyperparameter axis, ticked at 0.001 and
    // 0.01; "All keys" adds the equal ones, each ticked at its one value.
    void parallelCoordinatesShowDifferingKeysAtRealValues()
    {
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        clickRun(*panel, m_a);
        clickRun(*panel, m_b, Qt::ControlModifier);
        auto *coords = namedChild<ParallelCoordsWidget>(panel.get(), "parallelCoords");
        QTRY_COMPARE(coords->lines().size(), std::size_t(2));
        const auto axisNames = [&] {
            QStringList names;
            for (const auto &axis : coords->axes())
                names.push_back(axis.name);
            return names;
        };
        QCOMPARE(axisNames(), (QStringList{QStringLiteral("optimizer.lr"),
                                           QStringLiteral("Best val/accuracy")}));
        QVERIFY(coords->axes().front().logScale);
        QCOMPARE(coords->ticks(0), (std::vector<double>{0.001, 0.01}));
        QCOMPARE(coords->ticks(1), (std::vector<double>{0.84, 0.86}));

        auto *tabs = namedChild<QTabWidget>(panel.get(), "runsTabs");
        tabs->setCurrentWidget(namedChild<QWidget>(panel.get(), "compareView"));
        auto *innerTabs = namedChild<QTabWidget>(panel.get(), "compareTabs");
        QTest::mouseClick(innerTabs->tabBar(), Qt::LeftButton, {},
                          innerTabs->tabBar()->tabRect(1).center());
        QTRY_VERIFY(coords->isVisible());
        auto *allKeys = namedChild<QCheckBox>(panel.get(), "allKeys");
        QTest::mouseClick(allKeys, Qt::LeftButton, {}, QPoint(4, allKeys->height() / 2));
        QVERIFY(allKeys->isChecked());
        const QStringList all = axisNames();
        QCOMPARE(all.front(), QStringLiteral("optimizer.lr"));
        const auto batch = all.indexOf(QStringLiteral("training.batch_size"));
        QCOMPARE(batch, 2); // among the standard hyperparameters, in their order
        QCOMPARE(coords->ticks(std::size_t(batch)), std::vector<double>{128});
        QVERIFY(all.contains(QStringLiteral("model.dropout")));
        QCOMPARE(all.back(), QStringLiteral("Best val/accuracy"));
        QTest::mouseClick(allKeys, Qt::LeftButton, {}, QPoint(4, allKeys->height() / 2));
        QCOMPARE(coords->axes().size(), std::size_t(2));
    }

    // Beside the differing keys, the results: best and final val accuracy, test accuracy and
    // the final training loss, the best of each in bold.
    void theConfigDiffShowsTheResults()
    {
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        clickRun(*panel, m_a);
        clickRun(*panel, m_b, Qt::ControlModifier);
        auto *diff = namedChild<ConfigDiffView>(panel.get(), "configDiffView");
        QTRY_COMPARE(diff->keys(), QStringList{QStringLiteral("optimizer.lr")});
        QCOMPARE(
            diff->resultLabels(),
            (QStringList{QStringLiteral("best val/accuracy"), QStringLiteral("final val/accuracy"),
                         QStringLiteral("test/accuracy"), QStringLiteral("final train/loss")}));
        QCOMPARE(diff->rowCount(), 5);
        const int a = panel->selectedRunIds().indexOf(m_a) + 1;
        const int b = panel->selectedRunIds().indexOf(m_b) + 1;
        QCOMPARE(diff->item(0, a)->text(), QStringLiteral("86.00 %"));
        QCOMPARE(diff->item(0, b)->text(), QStringLiteral("84.00 %"));
        QCOMPARE(diff->item(2, a)->text(), QStringLiteral("85.00 %"));
        QCOMPARE(diff->item(3, b)->text(), QStringLiteral("0.16"));
        QVERIFY(diff->item(0, a)->font().bold() && !diff->item(0, b)->font().bold());
        QVERIFY(diff->item(3, a)->font().bold() != diff->item(3, b)->font().bold());
        QCOMPARE(diff->item(4, 0)->text(), QStringLiteral("optimizer.lr"));
    }

    // Opening the Compare tab gives it the room: the window grows the Runs dock when asked (as
    // the main window does, from its first size to what its other docks allow, measured in a
    // 1366×768 and a 1600×1000 window) and the plot and the diff are usably tall there.
    void theCompareTabOpensUsablyTall_data()
    {
        QTest::addColumn<QSize>("first");
        QTest::addColumn<QSize>("grown");
        QTest::newRow("1366x768 window") << QSize(866, 172) << QSize(880, 439);
        QTest::newRow("1600x1000 window") << QSize(920, 236) << QSize(920, 507);
    }

    void theCompareTabOpensUsablyTall()
    {
        QFETCH(QSize, first);
        QFETCH(QSize, grown);
        auto panel = openPanel();
        panel->resize(first);
        QVERIFY(QTest::qWaitForWindowExposed(panel.get()));
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        QSignalSpy room(panel.get(), &RunsPanel::compareRoomWanted);
        connect(panel.get(), &RunsPanel::compareRoomWanted, panel.get(), [&](int height) {
            panel->resize(grown.width(), std::min(height, grown.height()));
        });
        clickRun(*panel, m_a);
        clickRun(*panel, m_b, Qt::ControlModifier);
        auto *tabs = namedChild<QTabWidget>(panel.get(), "runsTabs");
        QTest::mouseClick(tabs->tabBar(), Qt::LeftButton, {}, tabs->tabBar()->tabRect(1).center());
        QCOMPARE(tabs->currentWidget()->objectName(), QStringLiteral("compareView"));
        QCOMPARE(room.size(), 1);
        QVERIFY(room.first().first().toInt() >= grown.height());
        auto *diff = namedChild<ConfigDiffView>(panel.get(), "configDiffView");
        QTRY_COMPARE(diff->keys(), QStringList{QStringLiteral("optimizer.lr")});
        QTRY_VERIFY2(diff->viewport()->height() > 200,
                     qPrintable(QString::number(diff->viewport()->height())));
        auto *table = namedChild<QTableView>(panel.get(), "runsTable");
        QVERIFY(table->viewport()->height() >= 2 * table->verticalHeader()->defaultSectionSize());
        auto *plot = namedChild<PlotWidget>(panel.get(), "compareCurves");
        auto *innerTabs = namedChild<QTabWidget>(panel.get(), "compareTabs");
        QTest::mouseClick(innerTabs->tabBar(), Qt::LeftButton, {},
                          innerTabs->tabBar()->tabRect(2).center());
        QTRY_VERIFY(plot->isVisible());
        QTRY_VERIFY2(plot->height() > 200, qPrintable(QString::number(plot->height())));

        // Back on Notes, the table has its share again.
        const int compareTable = table->height();
        QTest::mouseClick(tabs->tabBar(), Qt::LeftButton, {}, tabs->tabBar()->tabRect(0).center());
        QTRY_VERIFY(table->height() > compareTable);
    }

    void renameByEditingTheName()
    {
        auto panel = openPanel();
        QVERIFY(QTest::qWaitForWindowActive(panel.get()));
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        clickRun(*panel, m_b);
        auto *table = namedChild<QTableView>(panel.get(), "runsTable");
        table->setCurrentIndex(table->currentIndex().siblingAtColumn(RunListModel::NameColumn));
        QTest::keyClick(table, Qt::Key_F2);
        auto *editor = table->viewport()->findChild<QLineEdit *>();
        QVERIFY(editor);
        editor->selectAll();
        QTest::keyClicks(editor, "beta-renamed");
        QTest::keyClick(editor, Qt::Key_Return);
        // The delegate commits on the next turn of the event loop.
        QTRY_COMPARE(panel->model()->runRow(panel->model()->rowOf(m_b)).name,
                     QStringLiteral("beta-renamed"));
        QVERIFY(panel->message().isEmpty());
        QTRY_COMPARE(QString::fromStdString(m_store->run(m_b)->name),
                     QStringLiteral("beta-renamed"));
    }

    void notesAreSavedAfterAPauseAndTagsByEditing()
    {
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        // No polls: what the table shows below comes from the edits themselves.
        panel->model()->setPollInterval(0);
        auto *notes = namedChild<RunNotesEditor>(panel.get(), "runNotes");
        notes->setSaveDelay(50);
        QVERIFY(!notes->isEnabled());
        clickRun(*panel, m_a);
        QCOMPARE(notes->runId(), m_a);
        QVERIFY(notes->isEnabled());
        QTest::keyClicks(notes, "lr too high");
        QTRY_COMPARE(QString::fromStdString(m_store->run(m_a)->notes),
                     QStringLiteral("lr too high"));
        // The filter finds runs by their notes.
        QTest::keyClicks(namedChild<QLineEdit>(panel.get(), "runsFilter"), "too high");
        QCOMPARE(namedChild<QSortFilterProxyModel>(panel.get(), "runsProxy")->rowCount(), 1);
        namedChild<QLineEdit>(panel.get(), "runsFilter")->clear();

        auto *model = panel->model();
        const auto tags = model->index(model->rowOf(m_a), RunListModel::TagsColumn);
        QVERIFY(model->flags(tags) & Qt::ItemIsEditable);
        QVERIFY(model->setData(tags, QStringLiteral(" best, sweep,best ")));
        QCOMPARE(tags.data().toString(), QStringLiteral("best, sweep"));
        QTRY_COMPARE(m_store->run(m_a)->tags, (std::vector<std::string>{"best", "sweep"}));
    }

    void aRefusedEditIsReportedAndUndone()
    {
        auto panel = openPanel();
        auto *model = panel->model();
        QTRY_COMPARE(model->rowCount(), 3);
        model->setPollInterval(0);
        QVERIFY(m_store->deleteRun(m_b).has_value()); // by another process; not seen yet
        QVERIFY(model->setData(model->index(model->rowOf(m_b), RunListModel::NameColumn),
                               QStringLiteral("too late")));
        QCOMPARE(model->runRow(model->rowOf(m_b)).name, QStringLiteral("too late"));
        // The store's writer refuses it; the panel says so and shows the store's truth again.
        QTRY_VERIFY(
            panel->message().contains(QStringLiteral("Cannot rename the run to 'too late'")));
        QTRY_COMPARE(model->rowOf(m_b), -1);
        QCOMPARE(model->rowCount(), 2);
    }

    void deleteThenUndoKeepsTheRun()
    {
        auto panel = openPanel();
        QVERIFY(QTest::qWaitForWindowActive(panel.get()));
        panel->setUndoWindow(60000);
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        clickRun(*panel, m_a);
        QTest::keyClick(namedChild<QTableView>(panel.get(), "runsTable"), Qt::Key_Delete);
        QCOMPARE(panel->model()->rowCount(), 2);
        QCOMPARE(panel->model()->rowOf(m_a), -1);
        QVERIFY(namedChild<DeleteUndoBar>(panel.get(), "deleteUndoBar")->isVisible());
        QCOMPARE(namedChild<DeleteUndoBar>(panel.get(), "deleteUndoBar")->text(),
                 QStringLiteral("Deleted 'alpha'"));
        // Polls keep the pending delete hidden.
        QTest::qWait(300);
        QCOMPARE(panel->model()->rowOf(m_a), -1);
        auto *undo = namedChild<DeleteUndoBar>(panel.get(), "deleteUndoBar")
                         ->findChild<QPushButton *>("undoDeleteButton");
        QVERIFY(undo);
        QTest::mouseClick(undo, Qt::LeftButton);
        QCOMPARE(panel->model()->rowCount(), 3);
        QVERIFY(!namedChild<DeleteUndoBar>(panel.get(), "deleteUndoBar")->isVisible());
        QCOMPARE(panel->selectedRunIds(), QList<qint64>{m_a});

        // Ctrl+Z undoes too.
        QTest::keyClick(namedChild<QTableView>(panel.get(), "runsTable"), Qt::Key_Delete);
        QCOMPARE(panel->model()->rowCount(), 2);
        QTest::keyClick(namedChild<QTableView>(panel.get(), "runsTable"), Qt::Key_Z,
                        Qt::ControlModifier);
        QCOMPARE(panel->model()->rowCount(), 3);
        panel.reset();
        m_client->drain();
        QVERIFY(storeHasRun(m_a));
    }

    void deleteWithoutUndoRemovesFromTheStore()
    {
        auto panel = openPanel();
        QVERIFY(QTest::qWaitForWindowActive(panel.get()));
        panel->setUndoWindow(300);
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        clickRun(*panel, m_b);
        clickRun(*panel, m_c, Qt::ControlModifier);
        panel->deleteSelected();
        QCOMPARE(panel->model()->rowCount(), 1);
        QCOMPARE(namedChild<DeleteUndoBar>(panel.get(), "deleteUndoBar")->text(),
                 QStringLiteral("Deleted 2 runs"));
        QVERIFY(storeHasRun(m_b) && storeHasRun(m_c));
        QTRY_VERIFY(!storeHasRun(m_b) && !storeHasRun(m_c));
        QVERIFY(storeHasRun(m_a));
        QTest::qWait(250);
        QCOMPARE(panel->model()->rowCount(), 1);
    }

    void pendingDeleteHappensWhenThePanelCloses()
    {
        auto panel = openPanel();
        panel->setUndoWindow(60000);
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        panel->selectRuns({m_c});
        panel->deleteSelected();
        QVERIFY(storeHasRun(m_c));
        panel.reset();
        m_client->drain(); // the delete was queued on the store's writer as the panel went
        QVERIFY(!storeHasRun(m_c));
    }

    void newRunFromThisConfig()
    {
        QFile file(QStringLiteral(LATHE_TEST_RESOURCES "/configs/fashion-mlp.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        auto config = nlohmann::json::parse(file.readAll().toStdString());
        config["optimizer"]["lr"] = 0.0042;
        const auto good = addRun("from-file", config, 0.5);
        const auto bad = addRun("broken", {{"optimizer", {{"lr", "fast"}}}}, 0.5);
        QVERIFY(good > 0 && bad > 0);
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 5);
        QSignalSpy spy(panel.get(), &RunsPanel::newRunFromConfig);
        panel->selectRuns({good});
        panel->newRunFromCurrentConfig();
        QTRY_COMPARE(spy.count(), 1);
        const auto parsed = spy.first().first().value<train::RunConfig>();
        QCOMPARE(parsed.optimizer.lr, 0.0042);
        QCOMPARE(parsed.model.arch, std::string("mlp"));
        QVERIFY(panel->message().isEmpty());

        panel->selectRuns({bad});
        panel->newRunFromCurrentConfig();
        QTRY_VERIFY(!panel->message().isEmpty());
        QCOMPARE(spy.count(), 1);
    }

    void fineTuneFromHereHandsOverTheRunAsParent()
    {
        const auto trained = lathe::testing::trainRun(
            m_db, lathe::testing::tinyConfig(600, 1, "mlp", {32}), "trained");
        QVERIFY(m_store->setStatus(m_b, track::RunStatus::Finished).has_value());
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 4);
        QSignalSpy spy(panel.get(), &RunsPanel::newRunFromConfig);

        // A run that never trained has nothing to start from.
        panel->selectRuns({m_a});
        QVERIFY(!namedChild<QAction>(panel.get(), "fineTuneAction")->isEnabled());
        // One that says it finished but has no checkpoint on disk is refused with the reason.
        panel->selectRuns({m_b});
        QVERIFY(namedChild<QAction>(panel.get(), "fineTuneAction")->isEnabled());
        namedChild<QAction>(panel.get(), "fineTuneAction")->trigger();
        QTRY_VERIFY(panel->message().contains(QStringLiteral("no checkpoint")));
        QCOMPARE(spy.count(), 0);

        clickRun(*panel, trained);
        QVERIFY(namedChild<QAction>(panel.get(), "fineTuneAction")->isEnabled());
        namedChild<QAction>(panel.get(), "fineTuneAction")->trigger();
        QTRY_COMPARE(spy.count(), 1);
        QVERIFY(panel->message().isEmpty());
        const auto config = spy.first().first().value<train::RunConfig>();
        QCOMPARE(config.finetune.run, std::to_string(trained));
        // Empty: the fine-tune starts from best, else last, and records which.
        QVERIFY(config.finetune.checkpoint.empty());
        QCOMPARE(config.name, std::string("trained-ft"));
        // The rest is the run's own config, ready to be edited.
        QCOMPARE(config.model.arch, std::string("mlp"));
        QCOMPARE(config.data.subset, std::int64_t(600));
        // What the main window does with it: the form keeps the fine-tune section.
        HyperparamsPanel form;
        form.setConfig(config);
        QVERIFY(form.isValid());
        QCOMPARE(form.config().finetune.run, std::to_string(trained));
        QVERIFY(form.config().finetune.checkpoint.empty());
    }

    void parentColumnAndLineageNameTheParent()
    {
        const auto parent = lathe::testing::trainRun(
            m_db, lathe::testing::tinyConfig(600, 1, "mlp", {32}), "base");
        auto childConfig = lathe::testing::tinyConfig(600, 1, "mlp", {32});
        childConfig.finetune.run = std::to_string(parent);
        std::int64_t child = 0;
        {
            auto job = train::RunJob::createNew(childConfig, {m_db, "child", 0});
            QVERIFY2(job.has_value(), job ? "" : job.error().toString().c_str());
            child = (*job)->runId();
        }
        QCOMPARE(m_store->run(child)->parentId, std::optional<std::int64_t>(parent));

        auto panel = openPanel();
        auto *model = panel->model();
        QTRY_COMPARE(model->rowCount(), 5);
        QCOMPARE(model->headerData(RunListModel::ParentColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Parent"));
        const auto parentCell = [&](std::int64_t id) {
            return model->index(model->rowOf(id), RunListModel::ParentColumn);
        };
        QCOMPARE(parentCell(child).data().toString(), QStringLiteral("base"));
        QCOMPARE(parentCell(child).data(Qt::ToolTipRole).toString(),
                 QStringLiteral("fine-tuned from run %1 (base)").arg(parent));
        QCOMPARE(parentCell(parent).data().toString(), QString());
        QCOMPARE(parentCell(m_a).data().toString(), QString());

        // The details of the current run say where it came from.
        clickRun(*panel, child);
        QCOMPARE(panel->lineageText(), QStringLiteral("Fine-tuned from run %1 (base)").arg(parent));
        clickRun(*panel, m_a);
        QCOMPARE(panel->lineageText(), QString());

        // So does the comparison.
        panel->selectRuns({parent, child});
        panel->compareSelected();
        QTRY_COMPARE(namedChild<CompareView>(panel.get(), "compareView")->lineageText(),
                     QStringLiteral("child: fine-tuned from run %1 (base)").arg(parent));

        // Renaming the parent renames it in its children's cells.
        QVERIFY(model->setData(model->index(model->rowOf(parent), RunListModel::NameColumn),
                               QStringLiteral("base-v2")));
        QCOMPARE(parentCell(child).data().toString(), QStringLiteral("base-v2"));

        // With LATHE_TEST_GRABS=<dir>: the Parent column with the child's details, then the
        // comparison of parent and child.
        const auto dir = qEnvironmentVariable("LATHE_TEST_GRABS");
        if (dir.isEmpty())
            return;
        QDir().mkpath(dir);
        panel->resize(1400, 640);
        panel->selectRuns({child});
        panel->findChild<QTabWidget *>()->setCurrentIndex(0);
        QTest::qWait(200);
        QVERIFY(panel->grab().save(QDir(dir).filePath("runs-panel-parent.png")));
        QSignalSpy shown(namedChild<CompareView>(panel.get(), "compareView"),
                         &CompareView::comparisonShown);
        panel->selectRuns({parent, child});
        panel->compareSelected();
        QTRY_VERIFY(shown.count() > 0);
        QVERIFY(panel->grab().save(QDir(dir).filePath("runs-panel-compare-lineage.png")));
    }

    void aRunWrittenByTheCliAppears()
    {
        auto panel = openPanel();
        QTRY_COMPARE(panel->model()->rowCount(), 3);
        QProcess cli;
        cli.setProcessChannelMode(QProcess::MergedChannels);
        cli.start(QStringLiteral(LATHE_CLI_PATH),
                  {QStringLiteral("train"),
                   QStringLiteral(LATHE_TEST_RESOURCES "/configs/fashion-mlp.json"),
                   QStringLiteral("--db"), QString::fromStdString(m_db.string()),
                   QStringLiteral("--name"), QStringLiteral("from-cli"),
                   QStringLiteral("--max-steps"), QStringLiteral("3"), QStringLiteral("--set"),
                   QStringLiteral("data.subset=600"), QStringLiteral("--set"),
                   QStringLiteral("training.epochs=1")});
        QVERIFY(cli.waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(panel->model()->rowCount(), 4, 15000);
        const auto &row = panel->model()->runRow(3);
        QCOMPARE(row.name, QStringLiteral("from-cli"));
        QCOMPARE(row.model, QStringLiteral("mlp"));
        // waitForFinished() answers false if the CLI already exited during the QTRY above.
        QTRY_VERIFY_WITH_TIMEOUT(cli.state() == QProcess::NotRunning, 90000);
        QCOMPARE(cli.exitCode(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(track::isTerminal(panel->model()->runRow(3).status), 5000);
    }
};

LATHE_TEST_MAIN(TestRunsPanel)
#include "tst_runs_panel.moc"
