#include "core/train/lr_schedule.h"
#include "core/train/run_config.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cmath>
#include <numbers>

using lathe::train::LrSchedule;
using lathe::train::PlateauTracker;
using lathe::train::ScheduleConfig;
using lathe::train::scheduleTypeNames;

namespace {

/// |a − b| <= 1e-12 + 1e-9·|b|
bool lrEquals(double actual, double expected)
{
    return std::fabs(actual - expected) <= 1e-12 + 1e-9 * std::fabs(expected);
}

ScheduleConfig scheduleOf(const std::string &type)
{
    ScheduleConfig config;
    config.type = type;
    return config;
}

} // namespace

class TestLrSchedule : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void knownValues_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<double>("base");
        QTest::addColumn<qint64>("stepsPerEpoch");
        QTest::addColumn<qint64>("totalSteps");
        QTest::addColumn<qint64>("step");
        QTest::addColumn<double>("expected");
        const double pi = std::numbers::pi;
        QTest::newRow("constant 0") << "constant" << 0.1 << 10ll << 100ll << 0ll << 0.1;
        QTest::newRow("constant past end") << "constant" << 0.1 << 10ll << 100ll << 500ll << 0.1;
        QTest::newRow("plateau is base") << "plateau" << 0.1 << 10ll << 100ll << 50ll << 0.1;
        // step: step_epochs 2, gamma 0.5, 10 steps/epoch -> halves at steps 20, 40.
        QTest::newRow("step before") << "step" << 0.1 << 10ll << 100ll << 19ll << 0.1;
        QTest::newRow("step at boundary") << "step" << 0.1 << 10ll << 100ll << 20ll << 0.05;
        QTest::newRow("step second") << "step" << 0.1 << 10ll << 100ll << 40ll << 0.025;
        // multistep: milestones [2, 5] epochs, gamma 0.1 -> steps 20 and 50.
        QTest::newRow("multistep before") << "multistep" << 1.0 << 10ll << 100ll << 19ll << 1.0;
        QTest::newRow("multistep first") << "multistep" << 1.0 << 10ll << 100ll << 20ll << 0.1;
        QTest::newRow("multistep between") << "multistep" << 1.0 << 10ll << 100ll << 49ll << 0.1;
        QTest::newRow("multistep second") << "multistep" << 1.0 << 10ll << 100ll << 50ll << 0.01;
        // exponential: gamma 0.5 per epoch, continuous: 0.5^(step/10).
        QTest::newRow("exponential epoch") << "exponential" << 0.1 << 10ll << 100ll << 10ll << 0.05;
        QTest::newRow("exponential half")
            << "exponential" << 0.1 << 10ll << 100ll << 5ll << 0.1 * std::sqrt(0.5);
        // cosine from 0.1 to min_lr 0.001 over 100 steps: min + (base−min)(1 + cos(π t/T))/2.
        QTest::newRow("cosine start") << "cosine" << 0.1 << 10ll << 100ll << 0ll << 0.1;
        QTest::newRow("cosine quarter") << "cosine" << 0.1 << 10ll << 100ll << 25ll
                                        << 0.001 + 0.099 * (1 + std::cos(pi / 4)) / 2;
        QTest::newRow("cosine midpoint")
            << "cosine" << 0.1 << 10ll << 100ll << 50ll << (0.1 + 0.001) / 2;
        QTest::newRow("cosine end") << "cosine" << 0.1 << 10ll << 100ll << 100ll << 0.001;
        QTest::newRow("cosine past end") << "cosine" << 0.1 << 10ll << 100ll << 900ll << 0.001;
        // warmup-cosine: warm-up 1 epoch = 10 steps, lr = base·(step+1)/11 up to step 10 (=
        // base), then cosine to min_lr 0.001 over the remaining 100 steps.
        QTest::newRow("warmup 0") << "warmup-cosine" << 0.11 << 10ll << 110ll << 0ll << 0.01;
        QTest::newRow("warmup 4") << "warmup-cosine" << 0.11 << 10ll << 110ll << 4ll << 0.05;
        QTest::newRow("warmup 9") << "warmup-cosine" << 0.11 << 10ll << 110ll << 9ll << 0.1;
        QTest::newRow("warmup peak") << "warmup-cosine" << 0.11 << 10ll << 110ll << 10ll << 0.11;
        QTest::newRow("warmup cosine mid")
            << "warmup-cosine" << 0.11 << 10ll << 110ll << 60ll << (0.11 + 0.001) / 2;
        QTest::newRow("warmup cosine end")
            << "warmup-cosine" << 0.11 << 10ll << 110ll << 110ll << 0.001;
        // one-cycle, max lr 0.1, pct_start 0.3, div 25, final div 1e4, 100 steps. Hand: start
        // 0.1/25 = 0.004, peak 0.1 at step 0.3·100 − 1 = 29, end 0.004/1e4 = 4e-7 at step 99.
        // The others are torch.optim.lr_scheduler.OneCycleLR(max_lr=0.1, total_steps=100,
        // pct_start=0.3, cycle_momentum=False) from PyTorch 1.13 (/usr/bin/python3).
        QTest::newRow("one-cycle start") << "one-cycle" << 0.1 << 10ll << 100ll << 0ll << 0.004;
        QTest::newRow("one-cycle 10")
            << "one-cycle" << 0.1 << 10ll << 100ll << 10ll << 0.029516394846410082;
        QTest::newRow("one-cycle 28")
            << "one-cycle" << 0.1 << 10ll << 100ll << 28ll << 0.09971862194340926;
        QTest::newRow("one-cycle peak") << "one-cycle" << 0.1 << 10ll << 100ll << 29ll << 0.1;
        QTest::newRow("one-cycle 30")
            << "one-cycle" << 0.1 << 10ll << 100ll << 30ll << 0.09994965352845243;
        QTest::newRow("one-cycle 50")
            << "one-cycle" << 0.1 << 10ll << 100ll << 50ll << 0.0793893450575732;
        QTest::newRow("one-cycle end") << "one-cycle" << 0.1 << 10ll << 100ll << 99ll << 4e-7;
        QTest::newRow("one-cycle past end") << "one-cycle" << 0.1 << 10ll << 100ll << 150ll << 4e-7;
    }
    void knownValues()
    {
        QFETCH(QString, type);
        QFETCH(double, base);
        QFETCH(qint64, stepsPerEpoch);
        QFETCH(qint64, totalSteps);
        QFETCH(qint64, step);
        QFETCH(double, expected);
        ScheduleConfig config = scheduleOf(type.toStdString());
        config.stepEpochs = 2;
        config.gamma = type == "exponential" || type == "step" ? 0.5 : 0.1;
        config.milestones = {2, 5};
        config.warmupEpochs = 1;
        config.minLr = 0.001;
        const auto created = LrSchedule::create(config, base, stepsPerEpoch, totalSteps);
        QVERIFY_OK(created);
        const LrSchedule &schedule = *created;
        const double actual = schedule.lrAt(step);
        QVERIFY2(lrEquals(actual, expected), qPrintable(QString("lrAt(%1) = %2, expected %3")
                                                            .arg(step)
                                                            .arg(actual, 0, 'g', 17)
                                                            .arg(expected, 0, 'g', 17)));
    }

    void oneCycleOddLength()
    {
        // OneCycleLR(max_lr=0.003, total_steps=37, pct_start=0.25, div_factor=10,
        // final_div_factor=100): the peak falls between steps 8 and 9 (0.25·37 − 1 = 8.25).
        ScheduleConfig config = scheduleOf("one-cycle");
        config.pctStart = 0.25;
        config.divFactor = 10;
        config.finalDivFactor = 100;
        const auto created = LrSchedule::create(config, 0.003, 5, 37);
        QVERIFY_OK(created);
        const LrSchedule &schedule = *created;
        const std::pair<std::int64_t, double> reference[]{
            {0, 0.0002999999999999999}, {4, 0.0015857644136379476},  {8, 0.0029938870954736643},
            {9, 0.002994601636580976},  {20, 0.0018585304992476128}, {36, 3e-06}};
        for (const auto &[step, expected] : reference)
            QVERIFY2(lrEquals(schedule.lrAt(step), expected), qPrintable(QString::number(step)));
    }

    void fractionalStepEpochs()
    {
        // step_epochs 0.5 with 10 steps per epoch: decays every 5 steps.
        ScheduleConfig config = scheduleOf("step");
        config.stepEpochs = 0.5;
        config.gamma = 0.5;
        const auto created = LrSchedule::create(config, 1.0, 10, 100);
        QVERIFY_OK(created);
        const LrSchedule &schedule = *created;
        QCOMPARE(schedule.lrAt(4), 1.0);
        QCOMPARE(schedule.lrAt(5), 0.5);
        QCOMPARE(schedule.lrAt(10), 0.25);
    }

    void everyTypeIsSane_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<qint64>("stepsPerEpoch");
        QTest::addColumn<qint64>("totalSteps");
        for (const auto &type : scheduleTypeNames()) {
            const QString name = QString::fromStdString(type);
            QTest::newRow(qPrintable(name + " typical")) << name << 469ll << 4690ll;
            QTest::newRow(qPrintable(name + " one step")) << name << 1ll << 1ll;
            QTest::newRow(qPrintable(name + " short")) << name << 3ll << 7ll;
            QTest::newRow(qPrintable(name + " zero sizes")) << name << 0ll << 0ll;
        }
    }
    void everyTypeIsSane()
    {
        QFETCH(QString, type);
        QFETCH(qint64, stepsPerEpoch);
        QFETCH(qint64, totalSteps);
        ScheduleConfig config = scheduleOf(type.toStdString());
        config.milestones = {1, 3};
        config.warmupEpochs = 2; // longer than the short runs
        config.pctStart = 0.01;  // peak before step 0 for the short runs
        config.minLr = 1e-5;
        const auto created = LrSchedule::create(config, 0.01, stepsPerEpoch, totalSteps);
        QVERIFY_OK(created);
        const LrSchedule &schedule = *created;
        for (std::int64_t step = -2; step < totalSteps + 20; ++step) {
            const double lr = schedule.lrAt(step);
            QVERIFY2(std::isfinite(lr) && lr >= 0.0 && lr <= 0.01 * (1 + 1e-12),
                     qPrintable(QString("step %1: %2").arg(step).arg(lr)));
        }
    }

    void unknownTypeIsRefused()
    {
        const auto created = LrSchedule::create(scheduleOf("sawtooth"), 0.1, 10, 100);
        QVERIFY(!created);
        QCOMPARE(created.error().code, lathe::ErrorCode::InvalidArgument);
        QCOMPARE(created.error().context, std::string("schedule.type"));
        QVERIFY2(created.error().message.find("\"sawtooth\"") != std::string::npos,
                 created.error().message.c_str());
    }

    void preview()
    {
        ScheduleConfig config = scheduleOf("warmup-cosine");
        config.warmupEpochs = 1;
        const auto created = LrSchedule::create(config, 0.1, 100, 1000);
        QVERIFY_OK(created);
        const LrSchedule &schedule = *created;
        QVERIFY(schedule.preview(0).empty());
        QVERIFY(schedule.preview(-3).empty());
        QCOMPARE(schedule.preview(1), std::vector<double>{schedule.lrAt(0)});
        const auto rates = schedule.preview(200);
        const auto steps = schedule.previewSteps(200);
        QCOMPARE(rates.size(), std::size_t(200));
        QCOMPARE(steps.size(), std::size_t(200));
        QCOMPARE(steps.front(), std::int64_t(0));
        QCOMPARE(steps.back(), std::int64_t(999));
        QVERIFY(std::is_sorted(steps.begin(), steps.end()));
        for (std::size_t i = 0; i < rates.size(); ++i)
            QCOMPARE(rates[i], schedule.lrAt(steps[i]));
        QCOMPARE(schedule.preview(5000).size(), std::size_t(5000)); // more points than steps
    }

    void plateauMatchesPyTorch()
    {
        // ReduceLROnPlateau(factor=0.5, patience=2, threshold=0.1, cooldown=1) in PyTorch 1.13
        // cuts on the 8th of these; by hand: 0.95 and 0.91 are not 10% better than 1.0, 0.89
        // is; 0.5 is the best, then three bad epochs (> patience 2) cut. The cut's cooldown
        // epoch does not count, so the next cut needs three more bad epochs: the 12th.
        ScheduleConfig config = scheduleOf("plateau");
        config.plateauFactor = 0.5;
        config.plateauPatience = 2;
        config.plateauThreshold = 0.1;
        config.plateauCooldown = 1;
        PlateauTracker tracker(config);
        const double losses[]{1.0, 0.95, 0.91, 0.89, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
        std::vector<int> cuts;
        for (int i = 0; i < 12; ++i) {
            if (tracker.update(losses[i]))
                cuts.push_back(i + 1);
        }
        QCOMPARE(cuts, (std::vector<int>{8, 12}));
        QCOMPARE(tracker.scale(), 0.25);
    }

    void plateauWithoutCooldown()
    {
        ScheduleConfig config = scheduleOf("plateau");
        config.plateauFactor = 0.1;
        config.plateauPatience = 0;
        config.plateauThreshold = 0.0;
        PlateauTracker tracker(config);
        QVERIFY(!tracker.update(1.0));
        QVERIFY(tracker.update(1.0)); // patience 0: the first bad epoch cuts
        QVERIFY(tracker.update(std::nan("")));
        QVERIFY(!tracker.update(0.9)); // any improvement counts with threshold 0
        QVERIFY(std::fabs(tracker.scale() - 0.01) < 1e-15);
    }

    void plateauStateRoundTrip()
    {
        ScheduleConfig config = scheduleOf("plateau");
        config.plateauPatience = 1;
        config.plateauCooldown = 2;
        PlateauTracker original(config);
        PlateauTracker fresh(config);
        QCOMPARE(fresh.state()["best"], nlohmann::json()); // no best yet: null, not infinity
        for (double loss : {1.0, 0.9, 0.95, 0.95})
            original.update(loss);
        PlateauTracker restored(config);
        QVERIFY(restored.restore(nlohmann::json::parse(original.state().dump())).has_value());
        QCOMPARE(restored.state(), original.state());
        for (double loss : {0.95, 0.95, 0.95, 0.95, 0.5, 0.6, 0.6, 0.6}) {
            QCOMPARE(restored.update(loss), original.update(loss));
            QCOMPARE(restored.scale(), original.scale());
        }
        QVERIFY(restored.restore(nlohmann::json::object()).has_value()); // empty = initial
        QCOMPARE(restored.state(), fresh.state());
    }

    void plateauBadState_data()
    {
        QTest::addColumn<QString>("state");
        QTest::addColumn<QString>("context");
        QTest::newRow("not object") << "[1]"
                                    << "plateau_state";
        QTest::newRow("missing key") << R"({"best": 1})"
                                     << "plateau_state";
        QTest::newRow("negative count")
            << R"({"best": 1, "bad_epochs": -1, "cooldown_left": 0, "scale": 1})"
            << "plateau_state.bad_epochs";
        QTest::newRow("zero scale")
            << R"({"best": 1, "bad_epochs": 0, "cooldown_left": 0, "scale": 0})"
            << "plateau_state.scale";
        QTest::newRow("string best")
            << R"({"best": "x", "bad_epochs": 0, "cooldown_left": 0, "scale": 1})"
            << "plateau_state.best";
    }
    void plateauBadState()
    {
        QFETCH(QString, state);
        QFETCH(QString, context);
        PlateauTracker tracker(scheduleOf("plateau"));
        tracker.update(1.0);
        const auto before = tracker.state();
        const auto ok = tracker.restore(nlohmann::json::parse(state.toStdString()));
        QVERIFY(!ok.has_value());
        QCOMPARE(QString::fromStdString(ok.error().context), context);
        QCOMPARE(tracker.state(), before);
    }
};

LATHE_TEST_GUILESS_MAIN(TestLrSchedule)
#include "tst_lr_schedule.moc"
