// Schedules from plugins, used like the built-ins: every registered schedule (built-in or
// plugin) passes the same checks; the sample cosine-restarts schedule has its shape, validates
// in a config and trains a real run; a plugin schedule that fails stops that run with a
// message naming the plugin, and the program goes on.
#include "core/plugin/loader.h"
#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/train/lr_schedule.h"
#include "core/train/run_config.h"
#include "core/train/run_job.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <numbers>

using namespace lathe;
using train::LrSchedule;

namespace {

train::RunConfig withSchedule(const std::string &type)
{
    train::RunConfig config;
    config.schedule.type = type;
    return config;
}

bool fromFixture(const std::string &name)
{
    return plugin::registry().schedule(name)->source == "failing-factories";
}

} // namespace

class TestSchedulePlugin : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        for (const char *file : {LATHE_TEST_PLUGIN_DIR "/cosine-restarts.so",
                                 LATHE_TEST_FIXTURE_DIR "/fixture_failing_factories.so"}) {
            const auto record = plugin::loadPlugin(file);
            QVERIFY2(record.status == plugin::PluginRecord::Status::Loaded, record.message.c_str());
        }
    }

    // What every schedule must do, looped over the registry.
    void everyScheduleValidatesAndGivesUsableRates()
    {
        const auto names = train::scheduleTypeNames();
        QVERIFY(std::find(names.begin(), names.end(), "cosine-restarts") != names.end());
        for (const auto &name : names) {
            if (fromFixture(name))
                continue;
            auto wanted = withSchedule(name);
            if (name == "multistep")
                wanted.schedule.milestones = {2, 5};
            auto config = train::RunConfig::fromJson(wanted.toJson());
            QVERIFY2(config.has_value(), config ? name.c_str() : config.error().message.c_str());
            const auto created = LrSchedule::create(config->schedule, 0.01, 50, 500);
            QVERIFY_OK(created);
            const LrSchedule &schedule = *created;
            for (std::int64_t step = 0; step < 500; ++step) {
                const double lr = schedule.lrAt(step);
                QVERIFY2(std::isfinite(lr) && lr >= 0 && lr <= 0.01 + 1e-12,
                         qPrintable(QString("%1 at step %2: %3")
                                        .arg(QString::fromStdString(name))
                                        .arg(step)
                                        .arg(lr)));
            }
            QCOMPARE(schedule.preview(7).size(), std::size_t(7));
        }
    }

    void cosineRestartsHasItsShape()
    {
        auto config = withSchedule("cosine-restarts").schedule;
        config.stepEpochs = 2; // a cycle of 20 steps at 10 steps an epoch
        config.gamma = 0.5;
        config.minLr = 1e-4;
        const auto created = LrSchedule::create(config, 0.1, 10, 100);
        QVERIFY_OK(created);
        const LrSchedule &schedule = *created;
        const auto near = [](double a, double b) { return std::abs(a - b) <= 1e-12; };
        QVERIFY(near(schedule.lrAt(0), 0.1));
        QVERIFY(near(schedule.lrAt(10), 1e-4 + (0.1 - 1e-4) / 2)); // half way down the cosine
        const double last = 1e-4 + (0.1 - 1e-4) * (1 + std::cos(std::numbers::pi * 19 / 20)) / 2;
        QVERIFY(near(schedule.lrAt(19), last));
        QVERIFY(near(schedule.lrAt(20), 0.05)); // the restart, at gamma times the peak
        QVERIFY(near(schedule.lrAt(40), 0.025));
        QVERIFY(near(schedule.lrAt(5000), schedule.lrAt(99))); // past the end: the last rate
    }

    void aFailingPluginScheduleNamesThePlugin_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("message");
        QTest::newRow("factory throws") << "explodes"
                                        << "schedule \"explodes\" (plugin failing-factories) "
                                           "failed: out of coffee";
        QTest::newRow("negative rate") << "goes-negative"
                                       << "schedule \"goes-negative\" (plugin failing-factories) "
                                          "gave the rate -1.000000 at step 5";
    }

    void aFailingPluginScheduleNamesThePlugin()
    {
        QFETCH(QString, type);
        QFETCH(QString, message);
        auto config = testing::tinyConfig(1000, 1, "mlp", {16}); // 15 steps
        config.schedule.type = type.toStdString();
        QVERIFY_OK(train::RunConfig::fromJson(config.toJson())); // registered, so valid
        const auto created = LrSchedule::create(config.schedule, 0.01, 10, 50);
        QVERIFY(!created);
        QCOMPARE(created.error().context, std::string("schedule.type"));
        QVERIFY2(QString::fromStdString(created.error().message).contains(message),
                 created.error().message.c_str());
        // A run with it is refused before the store is touched; the program goes on.
        const auto db = std::filesystem::path(m_dir.path().toStdString()) / "failing.db";
        auto job = train::RunJob::createNew(config, {db, "failing", 0});
        QVERIFY(!job.has_value());
        QVERIFY2(QString::fromStdString(job.error().toString()).contains(message),
                 job.error().toString().c_str());
        auto store = track::RunStore::open(db);
        QVERIFY_OK(store);
        auto runs = (*store)->listRuns({});
        QVERIFY_OK(runs);
        QVERIFY(runs->empty());
    }

    void aRunTrainsWithThePluginSchedule()
    {
        auto config = testing::tinyConfig(600, 1, "mlp", {16});
        config.training.batchSize = 50; // 12 steps an epoch (10% goes to validation)
        config.schedule.type = "cosine-restarts";
        config.schedule.stepEpochs = 0.5;
        config.schedule.gamma = 0.5;
        const auto db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        const auto runId = testing::trainRun(db, config, "restarts");
        auto store = track::RunStore::open(db);
        QVERIFY_OK(store);
        auto lr = (*store)->metricSeries(runId, track::keys::kLearningRate);
        QVERIFY_OK(lr);
        QVERIFY(lr->size() >= 10);
        const std::int64_t steps = std::int64_t(lr->size());
        const auto created = LrSchedule::create(config.schedule, config.optimizer.lr, steps, steps);
        QVERIFY_OK(created);
        const LrSchedule &schedule = *created;
        for (const auto &point : *lr)
            QCOMPARE(point.value, schedule.lrAt(point.step - 1));
        auto run = (*store)->run(runId);
        QVERIFY_OK(run);
        QVERIFY(run->configJson.find("\"cosine-restarts\"") != std::string::npos);
    }
};

LATHE_TEST_GUILESS_MAIN(TestSchedulePlugin)
#include "tst_schedule_plugin.moc"
