// The trainer on real Fashion-MNIST subsets: learning, exact resume, stop, pause and the NaN
// guard. Small CNNs and subsets keep each case to a few seconds on 2 cores.
#include "core/data/fashion_mnist.h"
#include "core/train/optimizer_factory.h"
#include "core/train/trainer.h"
#include "core/util/sha256.h"

#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QtTest>
#include <torch/torch.h>

#include <fstream>
#include <thread>

using namespace lathe;
using namespace lathe::train;

namespace {

RunConfig smallConfig(std::int64_t subset, std::int64_t epochs)
{
    RunConfig c;
    c.data.path = LATHE_TEST_FASHION_DIR;
    c.data.subset = subset;
    c.model = {"cnn", {8, 16}, 0.2};
    c.optimizer.name = "adamw";
    c.optimizer.lr = 3e-3;
    c.training.epochs = epochs;
    c.training.batchSize = 50;
    c.training.seed = 7;
    c.augment.enabled = true;
    c.augment.cropPadding = 2;
    c.augment.hflipProb = 0.5;
    return c;
}

std::unique_ptr<Trainer>
makeTrainer(const RunConfig &config, const QString &dir = {}, std::int64_t maxSteps = 0,
            std::int64_t throughputEvery = TrainerOptions{}.throughputEvery)
{
    auto data = loadTrainData(config.data);
    if (!data)
        qFatal("%s", data.error().toString().c_str());
    TrainerOptions options;
    options.checkpointDir = dir.toStdString();
    options.maxSteps = maxSteps;
    options.evaluateTest = false;
    options.throughputEvery = throughputEvery;
    auto trainer = Trainer::create(config, *data, options);
    if (!trainer)
        qFatal("%s", trainer.error().toString().c_str());
    return std::move(*trainer);
}

double maxParamDifference(model::Net &a, model::Net &b)
{
    auto pa = a->named_parameters();
    auto pb = b->named_parameters();
    double worst = 0.0;
    for (const auto &item : pa)
        worst = std::max(worst, (item.value() - pb[item.key()]).abs().max().item<double>());
    for (const auto &item : a->named_buffers())
        if (item.value().is_floating_point())
            worst = std::max(
                worst, (item.value() - b->named_buffers()[item.key()]).abs().max().item<double>());
    return worst;
}

struct Collector : TrainObserver
{
    std::vector<StepEvent> steps;
    std::vector<EvalEvent> evals;
    std::optional<TrainOutcome> outcome;
    std::optional<Error> failure;
    std::atomic<std::int64_t> lastStep{0};
    void onStep(const StepEvent &e) override
    {
        steps.push_back(e);
        lastStep = e.step;
    }
    void onEval(const EvalEvent &e) override { evals.push_back(e); }
    void onFinished(TrainOutcome o, std::int64_t) override { outcome = o; }
    void onFailed(const Error &e, std::int64_t) override { failure = e; }
};

} // namespace

class TestTrainer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void lossFalls()
    {
        auto trainer = makeTrainer(smallConfig(2000, 10), {}, 200);
        Collector events;
        trainer->setObserver(&events);
        auto outcome = trainer->run();
        QVERIFY2(outcome.has_value(), outcome ? "" : outcome.error().toString().c_str());
        QCOMPARE(*outcome, TrainOutcome::StepLimit);
        QCOMPARE(events.steps.size(), size_t(200));
        double first = 0, last = 0;
        for (int i = 0; i < 20; ++i) {
            first += events.steps[i].loss / 20;
            last += events.steps[180 + i].loss / 20;
        }
        qInfo("mean loss of steps 1-20: %.4f, steps 181-200: %.4f", first, last);
        QVERIFY2(last < 0.6 * first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
        QVERIFY(!events.evals.empty());
        QVERIFY(events.evals.back().result.accuracy > 0.6);
    }

    // oneDNN runs a block channels-last only when its weight has channels-last strides; a
    // 1-channel weight counts as channels-last contiguous with NCHW strides, and then the whole
    // first block ran NCHW (and its pooling about 4x slower). Training keeps the strides.
    void convolutionWeightsAreChannelsLast()
    {
        auto trainer = makeTrainer(smallConfig(200, 1), {}, 3);
        QVERIFY_OK(trainer->run());
        int convolutions = 0;
        for (const auto &p : trainer->net()->named_parameters()) {
            if (p.value().dim() != 4)
                continue;
            ++convolutions;
            QVERIFY2(p.value().suggest_memory_format() == at::MemoryFormat::ChannelsLast,
                     p.key().c_str());
        }
        QCOMPARE(convolutions, 2);
        model::Taps taps;
        taps.wanted = {"pool1"};
        trainer->net()->forward(torch::randn({4, 1, 28, 28}), &taps);
        QVERIFY(taps.outputs.at("pool1").is_contiguous(at::MemoryFormat::ChannelsLast));
        QVERIFY(!taps.outputs.at("pool1").is_contiguous());
    }

    // Two epochs straight equal one epoch (or an arbitrary step), a stop, and a resume.
    void resumeIsExact_data()
    {
        QTest::addColumn<int>("stopAfterSteps");
        QTest::newRow("epoch boundary") << 18;
        QTest::newRow("mid-epoch") << 25;
    }
    void resumeIsExact()
    {
        QFETCH(int, stopAfterSteps);
        const auto config = smallConfig(1000, 2); // 900 train samples: 18 steps an epoch
        QTemporaryDir straightDir, splitDir;
        auto straight = makeTrainer(config, straightDir.path());
        QCOMPARE(straight->stepsPerEpoch(), std::int64_t(18));
        QVERIFY(straight->run().has_value());

        auto first = makeTrainer(config, splitDir.path(), stopAfterSteps);
        auto stopped = first->run();
        QVERIFY(stopped.has_value());
        QCOMPARE(*stopped, TrainOutcome::StepLimit);
        first.reset();

        auto second = makeTrainer(config, splitDir.path());
        auto restored = second->restore((splitDir.path() + "/last.pt").toStdString());
        QVERIFY2(restored.has_value(), restored ? "" : restored.error().toString().c_str());
        QCOMPARE(second->state().step, std::int64_t(stopAfterSteps));
        QVERIFY(second->run().has_value());
        QCOMPARE(second->state().step, straight->state().step);
        const double diff = maxParamDifference(straight->net(), second->net());
        qInfo("max |w_straight - w_resumed| = %g", diff);
        QVERIFY(diff <= 1e-6);
    }

    void stopWritesCheckpointAtPosition()
    {
        QTemporaryDir dir;
        auto trainer = makeTrainer(smallConfig(1000, 5), dir.path());
        Collector events;
        trainer->setObserver(&events);
        std::stop_source stop;
        Result<TrainOutcome> outcome = fail(ErrorCode::Internal, "not run");
        std::thread worker([&] { outcome = trainer->run(stop.get_token()); });
        QTRY_VERIFY_WITH_TIMEOUT(events.lastStep >= 5, 30000);
        stop.request_stop();
        worker.join();
        QVERIFY(outcome.has_value());
        QCOMPARE(*outcome, TrainOutcome::Stopped);
        auto state = readCheckpointState((dir.path() + "/last.pt").toStdString());
        QVERIFY(state.has_value());
        QCOMPARE(state->step, trainer->state().step);
        QVERIFY(state->step < 5 * trainer->stepsPerEpoch());
    }

    void pauseHoldsTheLoop()
    {
        auto trainer = makeTrainer(smallConfig(1000, 1));
        Collector events;
        trainer->setObserver(&events);
        trainer->pause();
        std::thread worker([&] { (void)trainer->run(); });
        QTest::qWait(300);
        QCOMPARE(events.lastStep.load(), std::int64_t(0));
        QVERIFY(trainer->isPaused());
        trainer->resume();
        worker.join();
        QCOMPARE(events.outcome, std::optional(TrainOutcome::Finished));
        QCOMPARE(events.lastStep.load(), trainer->stepsPerEpoch());
    }

    // A pause is not training time: the throughput measured across it is not dragged down.
    void throughputLeavesOutAPause()
    {
        auto trainer = makeTrainer(smallConfig(1000, 1), {}, 0, 4);
        struct PauseAtStep8 : Collector
        {
            Trainer *trainer = nullptr;
            void onStep(const StepEvent &e) override
            {
                Collector::onStep(e);
                if (e.step == 8)
                    trainer->pause();
            }
        } events;
        events.trainer = trainer.get();
        trainer->setObserver(&events);
        std::thread worker([&] { (void)trainer->run(); });
        QTRY_VERIFY(trainer->isPaused());
        QTest::qWait(1500);
        trainer->resume();
        worker.join();
        std::vector<std::pair<std::int64_t, double>> speeds;
        for (const auto &step : events.steps)
            if (step.samplesPerSecond > 0)
                speeds.emplace_back(step.step, step.samplesPerSecond);
        QVERIFY(speeds.size() >= 3); // steps 4, 8, 12 (across the pause), ...
        const double before = std::min(speeds[0].second, speeds[1].second);
        QCOMPARE(speeds[2].first, std::int64_t(12));
        // 4 steps of 50 samples take well under a second here: counting the 1.5 s pause would
        // divide the rate by several times.
        QVERIFY2(
            speeds[2].second > before / 3,
            qPrintable(
                QStringLiteral("%1 after the pause, %2 before").arg(speeds[2].second).arg(before)));
    }

    // The end of an epoch (validation, checkpoints; here a slow observer of the evaluation)
    // is not training: the first step after it is as fast as the steps before.
    void throughputLeavesOutTheEndOfAnEpoch()
    {
        auto trainer = makeTrainer(smallConfig(400, 2), {}, 0, 1);
        struct SlowEval : Collector
        {
            void onEval(const EvalEvent &e) override
            {
                Collector::onEval(e);
                std::this_thread::sleep_for(std::chrono::milliseconds(1500));
            }
        } events;
        trainer->setObserver(&events);
        QVERIFY(trainer->run().has_value());
        QVERIFY(!events.evals.empty());
        const std::int64_t evaluatedAt = events.evals.front().step; // the end of epoch 1
        const auto firstOfEpoch2
            = std::find_if(events.steps.begin(), events.steps.end(),
                           [&](const StepEvent &e) { return e.step > evaluatedAt; });
        QVERIFY(firstOfEpoch2 != events.steps.begin() && firstOfEpoch2 != events.steps.end());
        double before = std::numeric_limits<double>::infinity();
        for (auto it = events.steps.begin(); it != firstOfEpoch2; ++it)
            before = std::min(before, it->samplesPerSecond);
        // 50 samples take well under 0.1 s here: counting the 1.5 s would divide the rate by
        // more than ten.
        QVERIFY2(firstOfEpoch2->samplesPerSecond > before / 3,
                 qPrintable(QStringLiteral("%1 after the epoch's end, at least %2 before")
                                .arg(firstOfEpoch2->samplesPerSecond)
                                .arg(before)));
    }

    // A NaN loss ends the run with an error naming the step; the good checkpoint stays.
    void nanGuardKeepsLastGoodCheckpoint()
    {
        QTemporaryDir dir;
        const auto config = smallConfig(500, 1);
        QVERIFY(makeTrainer(config, dir.path())->run().has_value());
        const auto checkpoint = (dir.path() + "/last.pt").toStdString();
        const auto before = util::sha256File(checkpoint);
        QVERIFY(before.has_value());

        auto clean = data::loadFashionMnist(LATHE_TEST_FASHION_DIR, data::Split::Train);
        QVERIFY(clean.has_value());
        auto images = (*clean)->rawImages().narrow(0, 0, 500).to(torch::kFloat) / 255.0;
        images[123][0][5][5] = std::numeric_limits<float>::quiet_NaN();
        auto poisoned = data::TensorDataset::create(images, (*clean)->labels().narrow(0, 0, 500),
                                                    (*clean)->classNames());
        QVERIFY(poisoned.has_value());
        RunConfig nanConfig = config;
        nanConfig.data.normalize = false;
        nanConfig.training.epochs = 2;
        TrainerOptions options;
        options.checkpointDir = dir.path().toStdString();
        auto trainer = Trainer::create(nanConfig, TrainData{*poisoned, nullptr}, options);
        QVERIFY(trainer.has_value());
        QVERIFY((*trainer)->restore(checkpoint).has_value());
        Collector events;
        (*trainer)->setObserver(&events);
        auto outcome = (*trainer)->run();
        QVERIFY(!outcome.has_value());
        QCOMPARE(outcome.error().code, ErrorCode::Training);
        QVERIFY2(outcome.error().message.find("NaN") != std::string::npos,
                 outcome.error().message.c_str());
        QVERIFY(outcome.error().message.find(checkpoint) != std::string::npos);
        QVERIFY(outcome.error().context.find("step") != std::string::npos);
        QVERIFY(events.failure.has_value());
        QCOMPARE(*util::sha256File(checkpoint), *before);
    }

    // Every optimizer, schedule, architecture and training option trains a few steps with
    // finite losses, and each step's learning rate is the schedule's value for that step.
    void everyOption_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        for (const auto &name : optimizerNames())
            QTest::newRow(("optimizer " + name).c_str()) << "optimizer" << name.c_str();
        for (const auto &type : scheduleTypeNames())
            QTest::newRow(("schedule " + type).c_str()) << "schedule" << type.c_str();
        for (const auto &arch : model::architectureNames())
            QTest::newRow(("model " + arch).c_str()) << "model" << arch.c_str();
        QTest::newRow("bf16 autocast") << "mixed_precision"
                                       << "bf16";
        QTest::newRow("accumulate 3") << "accumulate"
                                      << "3";
        QTest::newRow("grad clip") << "grad_clip"
                                   << "0.5";
        QTest::newRow("no augmentation") << "augment"
                                         << "off";
    }
    void everyOption()
    {
        QFETCH(QString, key);
        QFETCH(QString, value);
        auto config = smallConfig(400, 2);
        const std::string v = value.toStdString();
        if (key == "optimizer")
            config.optimizer.name = v;
        if (key == "schedule") {
            config.schedule.type = v;
            config.schedule.milestones = {1.0};
            config.schedule.warmupEpochs = 0.5;
        }
        if (key == "model")
            config.model = {v, {}, 0.1};
        if (key == "mixed_precision")
            config.training.mixedPrecision = v;
        if (key == "accumulate")
            config.training.accumulate = 3;
        if (key == "grad_clip")
            config.training.gradClip = 0.5;
        if (key == "augment")
            config.augment.enabled = false;
        auto trainer = makeTrainer(config, {}, 9);
        Collector events;
        trainer->setObserver(&events);
        auto outcome = trainer->run();
        QVERIFY2(outcome.has_value(), outcome ? "" : outcome.error().toString().c_str());
        QCOMPARE(std::int64_t(events.steps.size()),
                 std::min<std::int64_t>(9, trainer->totalSteps()));
        QVERIFY(events.steps.size() >= 6);
        const auto created = LrSchedule::create(config.schedule, config.optimizer.lr,
                                                trainer->stepsPerEpoch(), trainer->totalSteps());
        QVERIFY_OK(created);
        const LrSchedule &schedule = *created;
        for (const auto &step : events.steps) {
            QVERIFY(std::isfinite(step.loss));
            QCOMPARE(step.lr, schedule.lrAt(step.step - 1));
        }
    }

    void badCheckpointIsClearError()
    {
        QTemporaryDir dir;
        const auto path = (dir.path() + "/garbage.pt").toStdString();
        std::ofstream(path) << "not a checkpoint";
        auto trainer = makeTrainer(smallConfig(200, 1));
        auto restored = trainer->restore(path);
        QVERIFY(!restored.has_value());
        QCOMPARE(restored.error().code, ErrorCode::BadInput);
        QCOMPARE(restored.error().context, path);
    }
};

LATHE_TEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
