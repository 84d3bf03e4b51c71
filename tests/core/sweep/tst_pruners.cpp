#include "core/sweep/pruner.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace lathe::sweep;
using State = TrialRecord::State;
using Values = std::map<std::int64_t, double>;

Q_DECLARE_METATYPE(Values)

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Values negated(Values values)
{
    for (auto &[step, value] : values)
        value = -value;
    return values;
}

PrunerSpec medianSpec(int startupTrials, std::int64_t warmupSteps)
{
    PrunerSpec spec;
    spec.name = PrunerSpec::Name::Median;
    spec.startupTrials = startupTrials;
    spec.warmupSteps = warmupSteps;
    return spec;
}

PrunerSpec asha(std::int64_t minResource, int eta)
{
    PrunerSpec spec;
    spec.name = PrunerSpec::Name::Asha;
    spec.minResource = minResource;
    spec.reductionFactor = eta;
    return spec;
}

/// One report of an ASHA table: the trial records `value` at `step`, and should (not) stop.
struct Report
{
    int trial;
    std::int64_t step;
    double value;
    bool pruned;
};

/// Plays a table of reports in order against one study, checking each decision; a pruned
/// trial is marked Pruned (its values stay, as the store keeps its curves).
void playAsha(const PrunerSpec &spec, Direction direction, const std::vector<Report> &reports,
              bool negate)
{
    std::vector<TrialRecord> trials;
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const Report &r = reports[i];
        if (std::size_t(r.trial) >= trials.size())
            trials.resize(std::size_t(r.trial) + 1);
        TrialRecord &trial = trials[std::size_t(r.trial)];
        trial.number = r.trial;
        QVERIFY2(trial.state == State::Running, qPrintable(QString("row %1").arg(i + 1)));
        trial.intermediate[r.step] = negate ? -r.value : r.value;
        const bool pruned = shouldPrune(spec, direction, trial, trials, r.step);
        QVERIFY2(pruned == r.pruned, qPrintable(QString("row %1: trial %2 at step %3: expected %4")
                                                    .arg(i + 1)
                                                    .arg(r.trial)
                                                    .arg(r.step)
                                                    .arg(r.pruned ? "pruned" : "kept")));
        if (pruned)
            trial.state = State::Pruned;
    }
}

} // namespace

class TestPruners : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void noneNeverPrunes()
    {
        TrialRecord trial{3, {}, State::Running, {}, {{1, kNaN}}};
        QVERIFY(!shouldPrune(PrunerSpec{}, Direction::Maximize, trial, {}, 1));
    }

    // MedianPruner, maximising, startup_trials 2, warmup_steps 1.
    //
    //   completed     step 0   step 1   step 2   step 3
    //   trial 0        0.20     0.50     0.60     0.70
    //   trial 1        0.10     0.40     0.55     0.65
    //   trial 2        0.30     0.30     0.45       -
    //   median                  0.40     0.55     0.675  (mean of the middle two at step 3)
    //
    // Trial 3 (pruned, 0.9 everywhere) and trial 4 (running, 0.9) are not completed: they do
    // not move the medians.
    void median_data()
    {
        QTest::addColumn<Values>("values"); // the trial's intermediate values so far
        QTest::addColumn<qint64>("step");
        QTest::addColumn<bool>("pruned");
        QTest::newRow("step 0 is warm-up, even at 0.0") << Values{{0, 0.0}} << qint64(0) << false;
        QTest::newRow("0.45 >= 0.40 at step 1")
            << Values{{0, 0.0}, {1, 0.45}} << qint64(1) << false;
        QTest::newRow("0.35 < 0.40 at step 1") << Values{{0, 0.0}, {1, 0.35}} << qint64(1) << true;
        QTest::newRow("best 0.50 < 0.55 at step 2")
            << Values{{1, 0.45}, {2, 0.50}} << qint64(2) << true;
        QTest::newRow("best so far 0.60 >= 0.55, though now 0.20")
            << Values{{1, 0.60}, {2, 0.20}} << qint64(2) << false;
        QTest::newRow("best 0.66 < 0.675 at step 3")
            << Values{{1, 0.45}, {2, 0.56}, {3, 0.66}} << qint64(3) << true;
        QTest::newRow("best 0.68 >= 0.675 at step 3")
            << Values{{1, 0.45}, {2, 0.56}, {3, 0.68}} << qint64(3) << false;
        QTest::newRow("no completed value at step 4")
            << Values{{1, 0.45}, {2, 0.56}, {3, 0.60}, {4, 0.0}} << qint64(4) << false;
        QTest::newRow("nothing but NaN") << Values{{1, kNaN}} << qint64(1) << true;
    }
    void median()
    {
        QFETCH(Values, values);
        QFETCH(qint64, step);
        QFETCH(bool, pruned);
        const std::vector<TrialRecord> others{
            {0, {}, State::Completed, 0.70, {{0, 0.20}, {1, 0.50}, {2, 0.60}, {3, 0.70}}},
            {1, {}, State::Completed, 0.65, {{0, 0.10}, {1, 0.40}, {2, 0.55}, {3, 0.65}}},
            {2, {}, State::Completed, 0.45, {{0, 0.30}, {1, 0.30}, {2, 0.45}}},
            {3, {}, State::Pruned, {}, {{1, 0.9}, {2, 0.9}}},
            {4, {}, State::Running, {}, {{1, 0.9}, {2, 0.9}, {3, 0.9}}},
        };
        const PrunerSpec spec = medianSpec(2, 1);
        const TrialRecord trial{5, {}, State::Running, {}, values};
        QCOMPARE(shouldPrune(spec, Direction::Maximize, trial, others, step), pruned);

        // Minimising the negated values decides alike.
        std::vector<TrialRecord> flipped = others;
        for (auto &other : flipped) {
            other.intermediate = negated(other.intermediate);
            if (other.value)
                other.value = -*other.value;
        }
        const TrialRecord flippedTrial{5, {}, State::Running, {}, negated(values)};
        QCOMPARE(shouldPrune(spec, Direction::Minimize, flippedTrial, flipped, step), pruned);
    }

    // Before startup_trials completed trials, nothing is pruned; the trial itself in `others`
    // is skipped.
    void medianStartup()
    {
        const TrialRecord trial{5, {}, State::Running, {}, {{1, 0.01}}};
        std::vector<TrialRecord> others{
            {0, {}, State::Completed, 0.5, {{1, 0.5}}},
            trial,
        };
        QVERIFY(!shouldPrune(medianSpec(2, 0), Direction::Maximize, trial, others, 1));
        others.push_back({1, {}, State::Completed, 0.4, {{1, 0.4}}});
        QVERIFY(shouldPrune(medianSpec(2, 0), Direction::Maximize, trial, others, 1));
    }

    // ASHA, minimising, min_resource 1, eta 3: rungs at steps 1, 3, 9. A trial reaching a rung
    // goes on only if it is within the best floor(m / 3) of the m values at that rung so far,
    // itself included (the best, while m < 3). Reports arrive in this order:
    void ashaTable()
    {
        const std::vector<Report> reports{
            // rung 1 (step 1)
            {0, 1, 0.90, false}, // {0.90}: m = 1, the best -> on
            {1, 1, 0.80, false}, // {0.90, 0.80}: m = 2, best is 0.80 -> on
            {2, 1, 0.95, true},  // m = 3, keep 1: 0.80 -> 0.95 pruned
            {3, 1, 0.70, false}, // m = 4, keep 1: 0.70 is the best -> on
            {4, 1, 0.85, true},  // m = 5, keep 1: 0.70 -> pruned
            {5, 1, 0.75, false}, // m = 6, keep 2: 0.70, 0.75 -> on
            // between rungs nothing is decided, and rung 1 is not judged again: trial 0's 0.90
            // is no longer in the best 2 of 6 there, but it passed when it arrived
            {0, 2, 0.99, false},
            // rung 3 (step 3)
            {0, 3, 0.60, false}, // {0.60}: on
            {1, 2, 0.70, false},
            {1, 3, 0.65, true}, // {0.60, 0.65}: m = 2, best is 0.60 -> pruned
            {3, 2, 0.60, false},
            {3, 3, 0.50, false}, // {0.60, 0.65, 0.50}: keep 1: 0.50 -> on
            {5, 2, 0.70, false},
            {5, 3, 0.55, true}, // m = 4, keep 1: 0.50 -> pruned
            // a late trial meets the rungs as they are now
            {6, 1, 0.72, false}, // rung 1: 0.90 0.80 0.95 0.70 0.85 0.75 0.72: m = 7, keep 2:
                                 // 0.70, 0.72 -> on
            {6, 2, 0.80, false},
            {6, 3, 0.58, true}, // rung 3: 0.60 0.65 0.50 0.55 0.58: m = 5, keep 1: 0.50
            // rung 9 (step 9)
            {3, 5, 0.50, false},
            {3, 9, 0.40, false}, // {0.40}: on
            {0, 8, 0.50, false},
            {0, 9, 0.45, true}, // {0.40, 0.45}: m = 2, best is 0.40 -> pruned
        };
        playAsha(asha(1, 3), Direction::Minimize, reports, false);
        // Maximising the negated values decides alike.
        playAsha(asha(1, 3), Direction::Maximize, reports, true);
    }

    // A trial that reports sparsely meets a rung at its first step at or past it; the other
    // trials' rung values are theirs at their first step at or past it too.
    void ashaSparseReports()
    {
        const std::vector<Report> reports{
            {0, 1, 0.50, false},  // rung 1: {0.50}
            {0, 3, 0.50, false},  // rung 3: {0.50}
            {0, 9, 0.50, false},  // rung 9: {0.50}
            {1, 2, 0.60, true},   // step 2 reaches rung 1: {0.50, 0.60} -> pruned
            {2, 2, 0.40, false},  // step 2 reaches rung 1: {0.50, 0.60, 0.40} keep 1 -> on
            {2, 5, 0.45, false},  // step 5 reaches rung 3: {0.50, 0.45} -> on
            {2, 7, 0.90, false},  // no rung between 5 and 7
            {2, 10, 0.30, false}, // step 10 reaches rung 9: {0.50, 0.30} -> on
        };
        playAsha(asha(1, 3), Direction::Minimize, reports, false);
    }

    // A NaN at a rung prunes; a NaN between rungs does not; others' NaNs do not compete.
    void ashaNaN()
    {
        const std::vector<Report> reports{
            {0, 2, kNaN, true}, // rung 2, NaN -> pruned
            {1, 1, 0.3, false}, // not a rung (min_resource 2)
            {1, 2, 0.9, false}, // rung 2: {0.9} (trial 0's NaN does not count) -> on
        };
        playAsha(asha(2, 2), Direction::Minimize, reports, false);
        const std::vector<Report> between{{0, 2, 0.5, false}, {0, 3, kNaN, false}};
        playAsha(asha(2, 2), Direction::Minimize, between, false);
    }
};

LATHE_TEST_GUILESS_MAIN(TestPruners)
#include "tst_pruners.moc"
