// The runs table's numbers: Duration is training time (a stored run paused for minutes shows
// the minutes it trained, the wall time is in the cell's tooltip), and the Dataset column names
// what each run trains on and sorts by a click on its header.
#include "core/track/run_store.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "tests/core/track/track_test_support.h"
#include "tests/test_registry.h"

#include <QHeaderView>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace lathe;
using namespace lathe::panels;

class TestRunListModel : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<track::RunStore> m_store;
    std::int64_t m_paused = 0, m_folder = 0, m_csv = 0, m_idle = 0;

    std::int64_t create(const std::string &name, const std::string &config)
    {
        auto id = m_store->createRun({.name = name, .configJson = config});
        return id ? *id : 0;
    }

    // A stored run that started at `start` and ended at `end`, with these timeline events.
    void stored(std::int64_t id, double start, double end,
                std::initializer_list<std::pair<const char *, double>> events)
    {
        QVERIFY(track::testing::rawExec(m_db, "UPDATE runs SET status = 'finished', started_at = "
                                                  + std::to_string(start)
                                                  + ", ended_at = " + std::to_string(end)
                                                  + " WHERE id = " + std::to_string(id)));
        for (const auto &[kind, time] : events)
            QVERIFY_OK(m_store->addEvent({0, id, kind, 0, time, "{}"}));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = track::testing::pathIn(m_dir, "runs.db");
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        m_store = std::move(*store);
        // Trained 2 min, paused 9 min 36 s, trained 0 s more: 11 min 36 s of wall time.
        m_paused = create("paused", R"({"data": {"dataset": "fashion-mnist",
                                          "path": "/usr/share/datasets/fashion-mnist"}})");
        stored(m_paused, 10000, 10696,
               {{"started", 10000}, {"paused", 10120}, {"resumed", 10696}, {"finished", 10696}});
        m_folder = create("folder", R"({"data": {"dataset": "image-folder",
                                          "path": "/data/flowers/"}})");
        // Stopped after 30 s, resumed an hour later, trained 45 s more.
        stored(m_folder, 20000, 23645,
               {{"started", 20000}, {"finished", 20030}, {"started", 23600}, {"finished", 23645}});
        m_csv = create("tabular", R"({"data": {"dataset": "csv", "path": "/data/wine.csv"}})");
        m_idle = create("never started", "{}");
    }

    void durationIsTrainingTimeWithWallTimeInTheTooltip()
    {
        StoreClient client(m_db);
        RunListModel model(client);
        QTRY_VERIFY(model.isLoaded());
        const auto cell = [&](std::int64_t id, int role = Qt::DisplayRole) {
            return model.index(model.rowOf(id), RunListModel::DurationColumn).data(role);
        };
        QCOMPARE(cell(m_paused).toString(), QStringLiteral("2m 00s"));
        QCOMPARE(cell(m_paused, RunListModel::SortRole).toDouble(), 120.0);
        const QString tip = cell(m_paused, Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("Training time 2m 00s"))
                     && tip.contains(QStringLiteral("wall time 11m 36s")),
                 qPrintable(tip));
        QCOMPARE(cell(m_folder).toString(), QStringLiteral("1m 15s"));
        QVERIFY(cell(m_folder, Qt::ToolTipRole).toString().contains(QStringLiteral("1h 00m")));
        QCOMPARE(cell(m_idle).toString(), QStringLiteral("—"));
    }

    void theDatasetColumnNamesWhatEachRunReads()
    {
        StoreClient client(m_db);
        RunListModel model(client);
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(RunListModel::SortRole);
        QTableView table;
        table.setModel(&proxy);
        table.setSortingEnabled(true);
        table.resize(1200, 300);
        table.show();
        QVERIFY(QTest::qWaitForWindowExposed(&table));
        QTRY_COMPARE(proxy.rowCount(), 4);
        QCOMPARE(model.headerData(RunListModel::DatasetColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Dataset"));
        const auto dataset = [&](std::int64_t id, int role = Qt::DisplayRole) {
            return model.index(model.rowOf(id), RunListModel::DatasetColumn).data(role).toString();
        };
        QCOMPARE(dataset(m_paused), QStringLiteral("fashion-mnist"));
        QCOMPARE(dataset(m_folder), QStringLiteral("flowers"));
        QCOMPARE(dataset(m_csv), QStringLiteral("wine.csv"));
        QCOMPARE(dataset(m_idle), QString()); // a bare config names no data
        QCOMPARE(dataset(m_folder, Qt::ToolTipRole),
                 QStringLiteral("image-folder: /data/flowers/"));
        // The filter finds runs by their dataset too.
        QVERIFY(model.runRow(model.rowOf(m_folder)).filterText.contains(QStringLiteral("flowers")));

        // A click on the header sorts by dataset.
        auto *header = table.horizontalHeader();
        const int x = header->sectionViewportPosition(RunListModel::DatasetColumn)
                      + header->sectionSize(RunListModel::DatasetColumn) / 2;
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
        QCOMPARE(header->sortIndicatorSection(), int(RunListModel::DatasetColumn));
        QStringList order;
        for (int row = 0; row < proxy.rowCount(); ++row)
            order << proxy.index(row, RunListModel::DatasetColumn).data().toString();
        QStringList sorted = order;
        std::sort(sorted.begin(), sorted.end());
        if (header->sortIndicatorOrder() == Qt::DescendingOrder)
            std::reverse(sorted.begin(), sorted.end());
        QCOMPARE(order, sorted);
    }
};

LATHE_TEST_MAIN(TestRunListModel)
#include "tst_run_list_model.moc"
