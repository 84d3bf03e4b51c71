// Training time against wall time: pauses, and the gap between an end (stop, failure,
// interruption) and a resume, are not training, whether the run is live or over.
#include "core/track/run_timing.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <vector>

using namespace lathe;
using namespace lathe::track;

using Timeline = std::vector<EventRow>;
Q_DECLARE_METATYPE(Timeline)

namespace {

EventRow at(std::string_view kind, double wallTime)
{
    return {0, 1, std::string(kind), 0, wallTime, {}};
}

} // namespace

class TestRunTiming : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void trainingLeavesIdleTimeOut_data()
    {
        QTest::addColumn<Timeline>("timeline");
        QTest::addColumn<double>("endedAt");
        QTest::addColumn<double>("training"); // at now = 5000, started at 1000
        QTest::addColumn<double>("wall");
        using namespace events;
        QTest::newRow("no events, finished") << Timeline{} << 1700.0 << 700.0 << 700.0;
        QTest::newRow("no events, running") << Timeline{} << 0.0 << 4000.0 << 4000.0;
        // Trained 100 s, paused 400 s, trained 200 s: 300 s of training in 700 s.
        QTest::newRow("paused then finished")
            << Timeline{at(kStarted, 1000), at(kPaused, 1100), at("steered", 1200),
                        at(kResumed, 1500), at("eval", 1600),  at(kFinished, 1700)}
            << 1700.0 << 300.0 << 700.0;
        QTest::newRow("stopped while paused")
            << Timeline{at(kStarted, 1000), at(kPaused, 1100), at(kFinished, 1600)} << 1600.0
            << 100.0 << 600.0;
        QTest::newRow("paused now")
            << Timeline{at(kStarted, 1000), at(kPaused, 1100)} << 0.0 << 100.0 << 4000.0;
        // Interrupted at its last write (1200), resumed at 1900, finished at 2000.
        QTest::newRow("interrupted and resumed")
            << Timeline{at(kStarted, 1000), at(kInterrupted, 1200), at(kStarted, 1900),
                        at(kFinished, 2000)}
            << 2000.0 << 300.0 << 1000.0;
        QTest::newRow("stopped and resumed, running")
            << Timeline{at(kStarted, 1000), at(kFinished, 1200), at(kStarted, 4000)} << 0.0
            << 1200.0 << 4000.0;
        QTest::newRow("failed") << Timeline{at(kStarted, 1000), at(kFailed, 1050)} << 1050.0 << 50.0
                                << 50.0;
        // A run written before "started" existed: no event marks the resume.
        QTest::newRow("old run, resumed")
            << Timeline{at(kInterrupted, 1200)} << 0.0 << 200.0 << 4000.0;
    }
    void trainingLeavesIdleTimeOut()
    {
        QFETCH(Timeline, timeline);
        QFETCH(double, endedAt);
        QFETCH(double, training);
        QFETCH(double, wall);
        const auto idle = idleTime(timeline, endedAt);
        QCOMPARE(trainingSeconds(1000, endedAt, idle, 5000), training);
        QCOMPARE(wallSeconds(1000, endedAt, 5000), wall);
    }

    void aPausedRunDoesNotGrow()
    {
        const Timeline timeline{at(events::kStarted, 1000), at(events::kPaused, 1100)};
        const auto idle = idleTime(timeline, 0);
        QCOMPARE(idle.since, 1100.0);
        QCOMPARE(trainingSeconds(1000, 0, idle, 2000), trainingSeconds(1000, 0, idle, 9000));
    }

    void neverStartedIsZero()
    {
        QCOMPARE(trainingSeconds(0, 0, {}, 5000), 0.0);
        QCOMPARE(wallSeconds(0, 0, 5000), 0.0);
    }
};

LATHE_TEST_GUILESS_MAIN(TestRunTiming)
#include "tst_run_timing.moc"
