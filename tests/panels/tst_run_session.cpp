// RunSession: a real run on its own thread, its events as coalesced signals on the GUI thread,
// pause/resume/stop, and failures reported instead of crashing.
#include "core/privacy/dp_sgd.h"
#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "panels/bridge/run_session.h"
#include "tests/test_registry.h"

#include <QtTest>
#include <QElapsedTimer>

using namespace lathe;
using namespace lathe::panels;

namespace {

train::RunConfig tinyConfig(std::int64_t epochs)
{
    train::RunConfig c;
    c.name = "session-test";
    c.data.path = LATHE_TEST_FASHION_DIR;
    c.data.subset = 2000;
    c.model = {"mlp", {64}, 0.0};
    c.training.epochs = epochs;
    c.training.batchSize = 16;
    return c;
}

// DP-SGD whose last step of every epoch draws no example, as Poisson sampling sometimes does: that
// step has no loss (0/0, NaN), which the store skips.
class LastStepEmptyDpSgd : public privacy::DpSgd
{
public:
    using DpSgd::DpSgd;
    std::vector<std::vector<std::int64_t>> sampleEpoch(const std::vector<std::int64_t> &train,
                                                       std::uint64_t seed, std::int64_t epoch,
                                                       std::int64_t steps) const override
    {
        auto batches = DpSgd::sampleEpoch(train, seed, epoch, steps);
        batches.back().clear();
        return batches;
    }
};

} // namespace

class TstRunSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runsToTheEndWithCoalescedSignals()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        RunSession session(db);
        QSignalSpy created(&session, &RunSession::runCreated);
        QSignalSpy progress(&session, &RunSession::progress);
        QSignalSpy evals(&session, &RunSession::evaluated);
        QSignalSpy finished(&session, &RunSession::finished);
        QElapsedTimer clock;
        clock.start();
        QVERIFY(session.start(tinyConfig(2)));
        QVERIFY(!session.start(tinyConfig(2))); // one run at a time
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        const double seconds = double(clock.elapsed()) / 1000.0;

        QCOMPARE(created.count(), 1);
        QCOMPARE(finished.first().first().toString(), QString("finished"));
        QCOMPARE(session.state(), SessionState::Finished);
        // 2 epochs of 113 steps, but at most one progress signal per 33 ms drain.
        QVERIFY(!progress.isEmpty());
        const auto last = progress.last().first().value<SessionProgress>();
        QCOMPARE(last.step, last.totalSteps);
        QCOMPARE(last.epochs, qint64(2));
        QVERIFY2(progress.count() <= int(seconds * 31) + 2,
                 qPrintable(QString("%1 signals in %2 s").arg(progress.count()).arg(seconds)));
        QVERIFY(last.step > progress.count()); // coalesced: fewer signals than steps
        // validation after each epoch (10% held out by default), then the test set
        QCOMPARE(evals.count(), 3);
        QCOMPARE(evals.last().first().value<SessionEval>().split, QString("test"));

        auto store = track::RunStore::open(db);
        QVERIFY(store.has_value());
        auto run = (*store)->run(session.runId());
        QVERIFY(run.has_value());
        QCOMPARE(QString::fromUtf8(track::toString(run->status)), QString("finished"));
    }

    // The progress (status bar, session log) after a DP-SGD step with an empty Poisson batch
    // shows the last step's loss that had one, never NaN: the run's last step is such a step.
    void anEmptyPoissonBatchKeepsTheLastFiniteLoss()
    {
        train::setPrivateTrainingFactory(
            [](const train::RunConfig &config, std::int64_t trainSamples,
               std::int64_t totalSteps) -> Result<std::shared_ptr<train::PrivateTraining>> {
                auto s = privacy::resolvePrivacy(config, trainSamples, totalSteps);
                if (!s)
                    return std::unexpected(s.error());
                return std::make_shared<LastStepEmptyDpSgd>(std::move(*s));
            });
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        auto config = tinyConfig(1);
        config.data.subset = 600;
        config.privacy.enabled = true;
        config.privacy.noiseMultiplier = 1.0;
        RunSession session(db);
        QSignalSpy progress(&session, &RunSession::progress);
        QSignalSpy finished(&session, &RunSession::finished);
        QVERIFY(session.start(config));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        privacy::installDpSgd();
        QCOMPARE(finished.first().first().toString(), QString("finished"));

        const auto last = progress.last().first().value<SessionProgress>();
        QCOMPARE(last.step, last.totalSteps);
        auto store = track::RunStore::open(db);
        QVERIFY(store);
        const auto losses = (*store)->metricSeries(session.runId(), track::keys::kTrainLoss);
        QVERIFY(losses && !losses->empty());
        QVERIFY(losses->back().step < last.step); // the empty last step stored no loss
        QVERIFY2(std::isfinite(last.loss), qPrintable(QString::number(last.loss)));
        QVERIFY2(std::isfinite(last.accuracy), qPrintable(QString::number(last.accuracy)));
        QCOMPARE(float(last.loss), float(losses->back().value));
    }

    void pauseResumeAndStop()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        RunSession session(db);
        QSignalSpy progress(&session, &RunSession::progress);
        QSignalSpy notes(&session, &RunSession::noted);
        QVERIFY(session.start(tinyConfig(50)));
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0, 30000);
        session.pause();
        QCOMPARE(session.state(), SessionState::Paused);
        QTRY_VERIFY(std::any_of(notes.begin(), notes.end(),
                                [](const auto &args) { return args.first() == "paused"; }));
        QTest::qWait(200);
        const qint64 pausedAt = progress.last().first().value<SessionProgress>().step;
        QTest::qWait(300);
        QCOMPARE(progress.last().first().value<SessionProgress>().step, pausedAt);

        QVERIFY(session.steer({0, 0.5, 0.0, 1.0}).has_value());
        session.resume();
        QCOMPARE(session.state(), SessionState::Running);
        QTRY_VERIFY(progress.last().first().value<SessionProgress>().step > pausedAt);
        QVERIFY(!session.steer({0, 0.5, 0.0, 1.0})); // only while paused

        QSignalSpy finished(&session, &RunSession::finished);
        session.stop();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
        QCOMPARE(finished.first().first().toString(), QString("stopped"));
        QCOMPARE(session.state(), SessionState::Stopped);
    }

    void badDataFailsWithTheFileNamed()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        RunSession session(db);
        QSignalSpy failed(&session, &RunSession::failed);
        auto config = tinyConfig(1);
        config.data.path = (dir.path() + "/no-such-folder").toStdString();
        QVERIFY(session.start(config));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 20000);
        QVERIFY(failed.first().first().toString().contains("no-such-folder"));
        QCOMPARE(session.state(), SessionState::Failed);
        QCOMPARE(session.runId(), qint64(0)); // nothing was stored
    }
};

LATHE_TEST_MAIN(TstRunSession)
#include "tst_run_session.moc"
