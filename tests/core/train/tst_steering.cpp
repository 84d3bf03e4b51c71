// Steering a paused run: the config key, the trainer applying a change where it paused, the
// change recorded in the config, and a run of that config reproducing it.
#include "core/train/lr_schedule.h"
#include "core/train/run_config.h"
#include "core/train/trainer.h"

#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <atomic>
#include <mutex>
#include <thread>

using namespace lathe;
using namespace lathe::train;

namespace {

RunConfig steeringConfig()
{
    RunConfig c;
    c.data.path = LATHE_TEST_FASHION_DIR;
    c.data.subset = 600;
    c.data.valFraction = 0.0;
    c.model = {"mlp", {32}, 0.0};
    c.optimizer.name = "adamw";
    c.optimizer.lr = 1e-3;
    c.optimizer.weightDecay = 0.01;
    c.schedule.type = "cosine";
    c.training.epochs = 2;
    c.training.batchSize = 50;
    c.augment.enabled = true;
    c.augment.hflipProb = 0.5;
    return c;
}

std::unique_ptr<Trainer> steeringTrainer(const RunConfig &config)
{
    auto data = loadTrainData(config.data);
    if (!data)
        qFatal("%s", data.error().toString().c_str());
    TrainerOptions options;
    options.evaluateTest = false;
    auto trainer = Trainer::create(config, *data, options);
    if (!trainer)
        qFatal("%s", trainer.error().toString().c_str());
    return std::move(*trainer);
}

/// Pauses the run after step `pauseAfter`; records lrs, notes and config changes.
struct Steering : TrainObserver
{
    Trainer *trainer = nullptr;
    std::int64_t pauseAfter = -1;
    std::vector<double> lrs;
    std::vector<std::string> notes;
    std::string lastConfig;
    std::mutex mutex;
    void onStep(const StepEvent &e) override
    {
        std::lock_guard lock(mutex);
        lrs.push_back(e.lr);
        if (e.step == pauseAfter)
            trainer->pause();
    }
    void onNote(const NoteEvent &e) override
    {
        std::lock_guard lock(mutex);
        notes.push_back(e.kind);
    }
    void onConfigChanged(const std::string &json) override { lastConfig = json; }
};

} // namespace

class TstSteering : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesAndValidates_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("errorContext");
        QTest::newRow("empty") << "[]"
                               << "";
        QTest::newRow("two points") << R"([{"step": 3, "lr_scale": 0.5},
                                          {"step": 9, "weight_decay": 0.1,
                                           "augment_strength": 2}])"
                                    << "";
        QTest::newRow("not a list") << R"({"step": 3})"
                                    << "steering";
        QTest::newRow("descending") << R"([{"step": 9}, {"step": 3}])"
                                    << "steering[1].step";
        QTest::newRow("zero lr scale") << R"([{"step": 1, "lr_scale": 0}])"
                                       << "steering[0].lr_scale";
        QTest::newRow("strength too high") << R"([{"step": 1, "augment_strength": 5}])"
                                           << "steering[0].augment_strength";
        QTest::newRow("unknown key") << R"([{"step": 1, "lr": 0.1}])"
                                     << "steering[0].lr";
    }

    void parsesAndValidates()
    {
        QFETCH(QString, json);
        QFETCH(QString, errorContext);
        auto points = steeringFromJson(nlohmann::json::parse(json.toStdString()));
        if (errorContext.isEmpty()) {
            QVERIFY2(points.has_value(), points ? "" : points.error().toString().c_str());
            auto again = steeringFromJson(steeringToJson(*points));
            QVERIFY(again.has_value() && *again == *points);
            QCOMPARE(points->size(), nlohmann::json::parse(json.toStdString()).size());
        } else {
            QVERIFY(!points);
            QCOMPARE(QString::fromStdString(points.error().context), errorContext);
        }
    }

    void configRoundTripsWithSteering()
    {
        RunConfig config = steeringConfig();
        config.steering = {{4, 0.5, 0.2, 1.5}, {10, 2.0, 0.0, 0.0}};
        auto back = RunConfig::fromJson(config.toJson());
        QVERIFY(back.has_value());
        QVERIFY(*back == config);
        QVERIFY(!steeringConfig().toJson().contains("steering")); // none: the key is not written
    }

    void pointInEffect()
    {
        const std::vector<SteerPoint> points{{4, 0.5, 0, 1}, {10, 2.0, 0, 1}};
        QVERIFY(steerPointAt(points, 3) == nullptr);
        QCOMPARE(steerPointAt(points, 4)->lrScale, 0.5);
        QCOMPARE(steerPointAt(points, 9)->lrScale, 0.5);
        QCOMPARE(steerPointAt(points, 10)->lrScale, 2.0);
        const data::AugmentConfig augment{true, 2, 0.5, 10, 0.1, 0.4, 0.25, {}};
        const auto doubled = scaledAugment(augment, 2.0);
        QCOMPARE(doubled.hflipProb, 1.0);
        QCOMPARE(doubled.rotateDeg, 20.0);
        QCOMPARE(doubled.cropPadding, std::int64_t(4));
        QCOMPARE(doubled.eraseMaxArea, 0.25); // a size bound, not a strength
        QVERIFY(scaledAugment(augment, 1.0) == augment);
    }

    void steerRefusedWhileRunning()
    {
        auto trainer = steeringTrainer(steeringConfig());
        auto refused = trainer->steer({0, 0.5, 0.0, 1.0});
        QVERIFY(!refused);
        QVERIFY(QString::fromStdString(refused.error().message).contains("pause"));
    }

    void steeredRunAppliesAndReproduces()
    {
        const RunConfig config = steeringConfig();
        auto trainer = steeringTrainer(config);
        Steering observer;
        observer.trainer = trainer.get();
        observer.pauseAfter = 5;
        trainer->setObserver(&observer);
        std::thread steerer([&] {
            while (!trainer->isPaused())
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            QCOMPARE(trainer->steering().lrScale, 1.0);
            QVERIFY(trainer->steer({0, 0.25, 0.5, 0.0}).has_value());
            QCOMPARE(trainer->steering().lrScale, 0.25);
            trainer->resume();
        });
        auto outcome = trainer->run();
        steerer.join();
        QVERIFY(outcome.has_value());

        // The change took effect at step index 5 (the sixth step), exactly where it paused.
        const auto created = LrSchedule::create(config.schedule, config.optimizer.lr,
                                                trainer->stepsPerEpoch(), trainer->totalSteps());
        QVERIFY_OK(created);
        const LrSchedule &schedule = *created;
        QCOMPARE(std::int64_t(observer.lrs.size()), trainer->totalSteps());
        QVERIFY(qFuzzyCompare(observer.lrs[4], schedule.lrAt(4)));
        QVERIFY(qFuzzyCompare(observer.lrs[5], 0.25 * schedule.lrAt(5)));
        QVERIFY(
            qFuzzyCompare(observer.lrs.back(), 0.25 * schedule.lrAt(trainer->totalSteps() - 1)));
        const auto steered = std::find(observer.notes.begin(), observer.notes.end(), "steered");
        QVERIFY(steered != observer.notes.end());
        QCOMPARE(*(steered + 1), std::string("resumed"));

        // The config records the change, and training that config reproduces it.
        auto recorded = RunConfig::fromJson(nlohmann::json::parse(observer.lastConfig));
        QVERIFY(recorded.has_value());
        QCOMPARE(recorded->steering.size(), std::size_t(1));
        QCOMPARE(recorded->steering[0].step, std::int64_t(5));
        QCOMPARE(recorded->steering[0].weightDecay, 0.5);
        QVERIFY(trainer->config().steering == recorded->steering);

        auto replay = steeringTrainer(*recorded);
        Steering replayed;
        replay->setObserver(&replayed);
        QVERIFY(replay->run().has_value());
        QCOMPARE(replayed.lrs.size(), observer.lrs.size());
        for (std::size_t i = 0; i < replayed.lrs.size(); ++i)
            QVERIFY(qFuzzyCompare(replayed.lrs[i], observer.lrs[i]));
        QVERIFY(torch::equal(replay->net()->parameters().front(),
                             trainer->net()->parameters().front()));
    }
};

LATHE_TEST_GUILESS_MAIN(TstSteering)
#include "tst_steering.moc"
