#include "core/track/run_store.h"
#include "tests/core/track/track_test_support.h"
#include "tests/test_registry.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <limits>

using namespace lathe;
using namespace lathe::track;

class TestRunSummary : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<RunStore> m_store;

    std::int64_t create(const std::string &name, const std::string &config)
    {
        auto id = m_store->createRun({.name = name, .configJson = config});
        return id ? *id : -1;
    }

    void metric(std::int64_t run, const std::string &key, std::int64_t step, double value)
    {
        const MetricPoint point{run, key, step, 0, 0, value};
        QVERIFY(m_store->addMetrics(std::span(&point, 1)).has_value());
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        const auto file = std::filesystem::path(m_dir.path().toStdString())
                          / (std::string(QTest::currentTestFunction()) + ".db");
        auto store = RunStore::open(file);
        QVERIFY(store.has_value());
        m_store = std::move(*store);
    }

    void emptyStoreGivesNoRows()
    {
        auto rows = m_store->runSummaries();
        QVERIFY(rows.has_value());
        QVERIFY(rows->empty());
    }

    void readsParamsMetricsAndTags()
    {
        const auto a = create("mlp-run", R"({"model": {"arch": "mlp"},
                                             "optimizer": {"name": "adamw", "lr": 0.003}})");
        const auto b = create("bare", "{}");
        QVERIFY(a > 0 && b > 0);
        metric(a, "val/accuracy", 10, 0.81);
        metric(a, "val/accuracy", 20, 0.86);
        metric(a, "val/accuracy", 30, std::numeric_limits<double>::quiet_NaN());
        metric(a, "val/accuracy", 40, 0.84);
        metric(a, "test/accuracy", 40, 0.83);
        metric(a, "train/loss", 39, 0.5);
        metric(a, "train/loss", 40, 0.4);
        QVERIFY(m_store->addTag(a, "baseline").has_value());
        QVERIFY(m_store->setNotes(a, "first try").has_value());

        auto rows = m_store->runSummaries();
        QVERIFY(rows.has_value());
        QCOMPARE(rows->size(), std::size_t(2));
        const auto &first = rows->at(0);
        QCOMPARE(first.run.id, a);
        QCOMPARE(first.run.name, std::string("mlp-run"));
        QCOMPARE(first.run.notes, std::string("first try"));
        QCOMPARE(first.run.tags, std::vector<std::string>{"baseline"});
        QVERIFY(first.run.configJson.empty());
        QCOMPARE(first.modelArch, std::string("mlp"));
        QCOMPARE(first.optimizerName, std::string("adamw"));
        QCOMPARE(first.lr.value_or(0), 0.003);
        QCOMPARE(first.bestValAccuracy.value_or(0), 0.86);
        QCOMPARE(first.testAccuracy.value_or(0), 0.83);
        QCOMPARE(first.finalTrainLoss.value_or(0), 0.4);

        const auto &second = rows->at(1);
        QCOMPARE(second.run.id, b);
        QVERIFY(second.modelArch.empty());
        QVERIFY(!second.lr && !second.bestValAccuracy && !second.testAccuracy);
        QVERIFY(!second.finalTrainLoss);
    }

    void readsTheDatasetAndTheTrainingTime()
    {
        const auto paused
            = create("paused", R"({"data": {"dataset": "image-folder", "path": "/data/flowers"}})");
        const auto live = create("live", "{}");
        QVERIFY(paused > 0 && live > 0);
        // Trained 100 s, paused 400 s, trained 200 s, finished; the other is paused now.
        QVERIFY(track::testing::rawExec(m_store->path(),
                                        "UPDATE runs SET status = 'finished', started_at = 1000, "
                                        "ended_at = 1700 WHERE id = "
                                            + std::to_string(paused)));
        for (const auto &[kind, time] : {std::pair{"started", 1000.0},
                                         {"paused", 1100.0},
                                         {"checkpoint", 1200.0},
                                         {"resumed", 1500.0},
                                         {"finished", 1700.0}})
            QVERIFY(m_store->addEvent({0, paused, kind, 0, time, "{}"}).has_value());
        QVERIFY(m_store->setStatus(live, RunStatus::Running).has_value());
        const double started = m_store->run(live)->startedAt;
        QVERIFY(m_store->addEvent({0, live, "started", 0, started, "{}"}).has_value());
        QVERIFY(m_store->addEvent({0, live, "paused", 5, started + 2, "{}"}).has_value());

        auto rows = m_store->runSummaries();
        QVERIFY(rows.has_value());
        const auto &first = rows->at(0);
        QCOMPARE(first.dataset, std::string("image-folder"));
        QCOMPARE(first.dataPath, std::string("/data/flowers"));
        QCOMPARE(first.idle, (IdleTime{400, 0}));
        QCOMPARE(trainingSeconds(first.run.startedAt, first.run.endedAt, first.idle, 9999), 300.0);
        const auto &second = rows->at(1);
        QVERIFY(second.dataset.empty() && second.dataPath.empty());
        QCOMPARE(second.idle, (IdleTime{0, started + 2}));
        QCOMPARE(trainingSeconds(second.run.startedAt, 0, second.idle, started + 1000), 2.0);
    }

    void agreesWithPerRunQueries()
    {
        for (int i = 0; i < 20; ++i) {
            const auto id = create("run" + std::to_string(i), "{}");
            for (int step = 0; step < 5; ++step)
                metric(id, "val/accuracy", step, std::sin(i * 7.0 + step));
        }
        auto rows = m_store->runSummaries();
        QVERIFY(rows.has_value());
        QCOMPARE(rows->size(), std::size_t(20));
        for (const auto &row : *rows) {
            auto best = m_store->bestMetric(row.run.id, "val/accuracy", true);
            QVERIFY(best.has_value() && best->has_value());
            QCOMPARE(*row.bestValAccuracy, **best);
        }
    }
};

LATHE_TEST_GUILESS_MAIN(TestRunSummary)
#include "tst_run_summary.moc"
