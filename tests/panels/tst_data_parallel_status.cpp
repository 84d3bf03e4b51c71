// The status bar's line for a data-parallel run, read from a real store: the world size from the
// run's params (dist.world_size), the latest dist/ step times and communication, formatted in
// milliseconds; nothing for a run of one process, and the line follows the run it is told to.
#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "panels/bridge/store_client.h"
#include "panels/window/data_parallel_status.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

using namespace lathe;
using namespace lathe::panels;

class TstDataParallelStatus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void text_data()
    {
        QTest::addColumn<int>("workers");
        QTest::addColumn<double>("mean");
        QTest::addColumn<double>("max");
        QTest::addColumn<double>("comm");
        QTest::addColumn<QString>("text");
        QTest::newRow("one process") << 1 << 0.028 << 0.031 << 0.006 << "";
        QTest::newRow("two workers") << 2 << 0.0281 << 0.0309 << 0.0061
                                     << "2 workers · step 28 ms (slowest 31 ms) · comm 6 ms";
        QTest::newRow("seconds") << 8 << 0.9 << 1.25 << 0.2
                                 << "8 workers · step 900 ms (slowest 1.25 s) · comm 200 ms";
    }
    void text()
    {
        QFETCH(int, workers);
        QFETCH(double, mean);
        QFETCH(double, max);
        QFETCH(double, comm);
        QFETCH(QString, text);
        const DataParallelFigures figures{workers, mean, max, comm, 0.004};
        QCOMPARE(figures.text(), text);
        QCOMPARE(figures.toolTip().isEmpty(), text.isEmpty());
    }

    void beforeTheFirstStep()
    {
        const DataParallelFigures figures{4, {}, {}, {}, {}};
        QCOMPARE(figures.text(), QString("4 workers · waiting for the first step"));
    }

    void readsTheFollowedRunFromTheStore()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        auto store = track::RunStore::open(db);
        QVERIFY_OK(store);
        auto single = (*store)->createRun({"single", R"({"training": {"epochs": 1}})", 1});
        auto parallel
            = (*store)->createRun({"parallel", R"({"dist": {"world_size": 2, "nnodes": 1}})", 1});
        QVERIFY_OK(single);
        QVERIFY_OK(parallel);
        namespace keys = track::keys;
        const auto point = [&](std::string_view key, std::int64_t step, double value) {
            return track::MetricPoint{*parallel, std::string(key), step, 0, 0, value};
        };
        const std::vector<track::MetricPoint> points{
            point(keys::kDistStepTimeMean, 1, 0.050), point(keys::kDistStepTimeMax, 1, 0.060),
            point(keys::kDistCommSeconds, 1, 0.010),  point(keys::kDistCommWaitSeconds, 1, 0.008),
            point(keys::kDistStepTimeMean, 2, 0.020), point(keys::kDistStepTimeMax, 2, 0.045),
            point(keys::kDistCommSeconds, 2, 0.007),  point(keys::kDistCommWaitSeconds, 2, 0.005)};
        QVERIFY_OK((*store)->addMetrics(points));

        StoreClient client(db);
        DataParallelStatus status(client);
        QSignalSpy changed(&status, &DataParallelStatus::changed);
        status.follow(*parallel);
        QTRY_COMPARE(status.text(), QString("2 workers · step 20 ms (slowest 45 ms) · comm 7 ms"));
        QCOMPARE(changed.size(), 1);
        QVERIFY(changed.front().back().toString().contains("5.0 ms waited after backward"));

        // Another step, read at the next poll.
        QVERIFY_OK((*store)->addMetrics(std::vector<track::MetricPoint>{
            point(keys::kDistStepTimeMean, 3, 0.030), point(keys::kDistStepTimeMax, 3, 0.031)}));
        status.poll();
        QTRY_COMPARE(status.text(), QString("2 workers · step 30 ms (slowest 31 ms) · comm 7 ms"));

        // A run of one process: the line goes at once, and stays empty.
        status.follow(*single);
        QCOMPARE(status.text(), QString());
        QCOMPARE(changed.back().front().toString(), QString());
        QTest::qWait(200);
        status.poll();
        QTest::qWait(200);
        QCOMPARE(status.text(), QString());
        QCOMPARE(status.figures().worldSize, 1);
    }
};

LATHE_TEST_GUILESS_MAIN(TstDataParallelStatus)
#include "tst_data_parallel_status.moc"
