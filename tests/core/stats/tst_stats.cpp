// The statistics of groups and A/B comparisons against known answers: SciPy 1.10's values for
// the t distribution and Welch's test (printed to 17 digits), hand-counted permutation tests,
// and coverage of the intervals on simulated data.
#include "core/stats/comparison.h"
#include "core/stats/curves.h"
#include "core/stats/distributions.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

using namespace lathe::stats;

namespace {

bool near(double actual, double expected, double relative = 1e-9)
{
    return std::abs(actual - expected) <= relative * std::max(1.0, std::abs(expected));
}

#define QCOMPARE_NEAR(actual, expected, tolerance)                                                 \
    QVERIFY2(near((actual), (expected), (tolerance)),                                              \
             qPrintable(QString("%1 = %2, expected %3")                                            \
                            .arg(#actual)                                                          \
                            .arg((actual), 0, 'g', 17)                                             \
                            .arg((expected), 0, 'g', 17)))

} // namespace

class TestStats : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void studentTMatchesScipy()
    {
        // scipy.stats.t.cdf / ppf, scipy.special.betainc.
        QCOMPARE_NEAR(studentTCdf(1.5, 3.7), 0.8932009153989934, 1e-10);
        QCOMPARE_NEAR(studentTCdf(-2.2, 10), 0.02622053422467655, 1e-10);
        QCOMPARE_NEAR(studentTCdf(0, 7), 0.5, 1e-15);
        QCOMPARE_NEAR(studentTQuantile(0.975, 4), 2.7764451051977987, 1e-10);
        // SciPy's ppf stops at about 1e-9 here (its own cdf of its answer is 0.995 - 8e-12);
        // ours is the root to the cdf's precision.
        QCOMPARE_NEAR(studentTQuantile(0.995, 2.5), 7.16372813402124, 1e-8);
        QCOMPARE_NEAR(studentTCdf(studentTQuantile(0.995, 2.5), 2.5), 0.995, 1e-14);
        QCOMPARE_NEAR(regularizedIncompleteBeta(2.5, 0.5, 0.3), 0.01892712407194565, 1e-10);
        QVERIFY(std::isnan(studentTCdf(1, 0)));
        QVERIFY(std::isnan(studentTQuantile(1.0, 3)));
    }

    // By hand: means 2 and 5, variances 1 and 1, se = sqrt(2/3), t = 3 / se, and
    // Welch-Satterthwaite df = (2/3)^2 / (2 (1/3)^2 / 2) = 4 exactly; p from SciPy.
    void welchByHand()
    {
        const std::vector<double> a{1, 2, 3}, b{4, 5, 6};
        const auto test = welchTest(a, b);
        QVERIFY(test);
        QCOMPARE_NEAR(test->difference, 3.0, 1e-15);
        QCOMPARE_NEAR(test->standardError, std::sqrt(2.0 / 3.0), 1e-15);
        QCOMPARE_NEAR(test->degreesOfFreedom, 4.0, 1e-13);
        QCOMPARE_NEAR(test->t, 3.6742346141747673, 1e-13);
        QCOMPARE_NEAR(test->pValue, 0.021311641128756727, 1e-9);
        QCOMPARE_NEAR(test->low, 3.0 - 2.7764451051977987 * std::sqrt(2.0 / 3.0), 1e-10);
        QCOMPARE_NEAR(test->high, 3.0 + 2.7764451051977987 * std::sqrt(2.0 / 3.0), 1e-10);
    }

    // SciPy's ttest_ind(b, a, equal_var=False) on accuracies like two repeat groups', and on
    // groups of unequal size and spread (fractional df).
    void welchMatchesScipy()
    {
        const std::vector<double> a{0.9012, 0.9034, 0.8998, 0.9021, 0.9040};
        const std::vector<double> b{0.9055, 0.9049, 0.9071, 0.9038, 0.9062};
        const auto test = welchTest(a, b);
        QVERIFY(test);
        QCOMPARE_NEAR(test->t, 3.614159223478459, 1e-9);
        QCOMPARE_NEAR(test->pValue, 0.007826445934912642, 1e-8);
        QCOMPARE_NEAR(test->degreesOfFreedom, 7.386737400530486, 1e-9);
        QCOMPARE_NEAR(test->standardError, 0.0009407443861113309, 1e-9);
        QCOMPARE_NEAR(test->low, 0.001198886340627208, 1e-8);
        QCOMPARE_NEAR(test->high, 0.005601113659372487, 1e-8);

        const std::vector<double> x{1, 2, 3, 4, 5, 6, 7}, y{2.5, 8, 11};
        const auto other = welchTest(x, y);
        QVERIFY(other);
        QCOMPARE_NEAR(other->t, 1.2089410496539779, 1e-9);
        QCOMPARE_NEAR(other->pValue, 0.3305722890357242, 1e-8);
        QCOMPARE_NEAR(other->degreesOfFreedom, 2.444221870555478, 1e-9);
    }

    void welchEdges()
    {
        const std::vector<double> one{1.0}, two{1.0, 2.0}, same{3, 3, 3}, other{4, 4};
        QVERIFY(!welchTest(one, two));
        const auto constant = welchTest(same, same);
        QVERIFY(constant);
        QCOMPARE(constant->pValue, 1.0);
        const auto apart = welchTest(same, other);
        QCOMPARE(apart->pValue, 0.0);
        QCOMPARE(apart->low, 1.0);
        // A NaN (a run without the metric) is left out, not propagated.
        const std::vector<double> withNaN{1, 2, 3, NAN};
        QCOMPARE(welchTest(withNaN, std::vector<double>{4, 5, 6})->t,
                 welchTest(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6})->t);
        QCOMPARE(summarize(withNaN).count, std::size_t(3));
    }

    // Counted by hand: of the C(6,3) = 20 splits of {1..6}, only {1,2,3} | {4,5,6} and its
    // mirror reach |difference| 3, so p = 2/20. Of the C(7,3) = 35 splits of {1,2,4} | {3,5,6,7}
    // (|difference| 2.917), 4 reach it: the 3-group {1,2,3} or {1,2,4} (low side) and {5,6,7}
    // or {4,6,7} (high side); p = 4/35. SciPy's permutation_test agrees on both.
    void permutationExact()
    {
        const auto first
            = permutationTest(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6});
        QVERIFY(first && first->exact);
        QCOMPARE(first->permutations, std::uint64_t(20));
        QCOMPARE_NEAR(first->pValue, 0.1, 1e-15);
        const auto second
            = permutationTest(std::vector<double>{1, 2, 4}, std::vector<double>{3, 5, 6, 7});
        QVERIFY(second && second->exact);
        QCOMPARE(second->permutations, std::uint64_t(35));
        QCOMPARE_NEAR(second->pValue, 4.0 / 35.0, 1e-15);
    }

    // Past maxExact the test samples; on normal data its p is close to Welch's.
    void permutationSampled()
    {
        std::mt19937_64 random(5);
        std::normal_distribution<double> normal(0, 1);
        std::vector<double> a(30), b(30);
        for (auto &v : a)
            v = normal(random);
        for (auto &v : b)
            v = normal(random) + 0.6;
        const auto sampled = permutationTest(a, b, 1000, 20000, 3);
        QVERIFY(sampled && !sampled->exact);
        QCOMPARE(sampled->permutations, std::uint64_t(20000));
        const double welch = welchTest(a, b)->pValue;
        QVERIFY2(std::abs(sampled->pValue - welch) < 0.01 + 0.2 * welch,
                 qPrintable(QString("permutation %1, Welch %2").arg(sampled->pValue).arg(welch)));
        // The same seed gives the same p.
        QCOMPARE(permutationTest(a, b, 1000, 20000, 3)->pValue, sampled->pValue);
    }

    // On 1,000 simulated pairs of groups of 8 normal values, the Welch interval of a zero
    // difference covers 0 about 95% of the time. The percentile bootstrap interval of a mean
    // undercovers for small n (NumPy, 4,000 simulations: 88% at n = 8, 93% at n = 30), so it is
    // checked on groups of 30.
    void intervalsCoverAtAboutTheNominalRate()
    {
        std::mt19937_64 random(11);
        std::normal_distribution<double> normal(10, 2);
        int welchCovers = 0, bootstrapCovers = 0;
        const int trials = 1000;
        for (int t = 0; t < trials; ++t) {
            std::vector<double> a(8), b(8);
            for (auto &v : a)
                v = normal(random);
            for (auto &v : b)
                v = normal(random);
            const auto test = welchTest(a, b);
            welchCovers += test->low <= 0 && test->high >= 0;
            std::vector<double> c(30);
            for (auto &v : c)
                v = normal(random);
            const auto interval = bootstrapMeanInterval(c, 0.95, 500, std::uint64_t(t));
            bootstrapCovers += interval.low <= 10 && interval.high >= 10;
        }
        const double welchRate = double(welchCovers) / trials;
        const double bootstrapRate = double(bootstrapCovers) / trials;
        QVERIFY2(welchRate > 0.93 && welchRate < 0.97, qPrintable(QString::number(welchRate)));
        QVERIFY2(bootstrapRate > 0.905 && bootstrapRate < 0.955,
                 qPrintable(QString::number(bootstrapRate)));
    }

    void verdictSentences()
    {
        VerdictWords words{"smoothing off", "smoothing on", "test/accuracy", true, 100, "points"};
        const std::vector<double> off{0.9012, 0.9034, 0.8998, 0.9021, 0.9040};
        const std::vector<double> on{0.9055, 0.9049, 0.9071, 0.9038, 0.9062};
        const auto better = QString::fromStdString(verdict(off, on, words));
        QVERIFY2(better.startsWith("smoothing on is better than smoothing off on test/accuracy: "
                                   "higher by 0.34 points (95% CI 0.12 to 0.56), p = 0.00783 "
                                   "(Welch), p = 0.0159 (permutation, exact), 5 vs 5 runs"),
                 qPrintable(better));
        // The other way round: A is the better one, and the interval is of A - B.
        const auto reversed = QString::fromStdString(verdict(
            on, off,
            VerdictWords{"smoothing on", "smoothing off", "test/accuracy", true, 100, "points"}));
        QVERIFY2(reversed.startsWith("smoothing on is better than smoothing off on test/accuracy: "
                                     "higher by 0.34 points (95% CI 0.12 to 0.56)"),
                 qPrintable(reversed));
        // For a loss, lower is better.
        const auto loss = QString::fromStdString(
            verdict(off, on, VerdictWords{"A", "B", "val/loss", false, 1, ""}));
        QVERIFY2(loss.startsWith("A is better than B on val/loss: lower by 0.0034 "),
                 qPrintable(loss));
        const auto overlap = QString::fromStdString(verdict(
            std::vector<double>{0.90, 0.91, 0.92}, std::vector<double>{0.905, 0.915, 0.92}, words));
        QVERIFY2(overlap.startsWith("no significant difference on test/accuracy: smoothing on - "
                                    "smoothing off = 0.333 points (95% CI -"),
                 qPrintable(overlap));
        const auto single = QString::fromStdString(
            verdict(std::vector<double>{0.9}, std::vector<double>{0.91, 0.92}, words));
        QVERIFY2(single.startsWith("1 vs 2 runs: no conclusion is possible")
                     && single.contains("repeat smoothing off"),
                 qPrintable(single));
    }

    // Hand-made series: run 1 logs every step 0..4, run 2 every other step 0..8 (so its value
    // at odd steps is interpolated), run 3 only at 0 and 2 with a NaN at 1. The band narrows to
    // the runs still going and says how many.
    void curvesOfUnequalLengthAndSteps()
    {
        const std::vector<std::vector<CurvePoint>> series{
            {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}},
            {{0, 3}, {2, 5}, {4, 7}, {6, 9}, {8, 11}},
            {{0, 2}, {1, NAN}, {2, 4}},
        };
        const auto band = aggregateCurves(series, {Centre::Mean, Band::MinMax});
        QCOMPARE(band.size(), std::size_t(7)); // x = 0, 1, 2, 3, 4, 6, 8
        QCOMPARE(band[0].x, 0.0);
        QCOMPARE(band[0].runs, 3);
        QCOMPARE(band[0].centre, 2.0);
        QCOMPARE(band[0].low, 1.0);
        QCOMPARE(band[0].high, 3.0);
        // x = 1: run 1 gives 2, run 2 interpolates 4, run 3 interpolates 3 (its NaN skipped).
        QCOMPARE(band[1].runs, 3);
        QCOMPARE(band[1].centre, 3.0);
        QCOMPARE(band[1].low, 2.0);
        QCOMPARE(band[1].high, 4.0);
        // x = 3: run 3 has ended.
        QCOMPARE(band[3].x, 3.0);
        QCOMPARE(band[3].runs, 2);
        QCOMPARE(band[3].centre, 5.0);
        // x = 6, 8: only run 2; the band closes on it.
        QCOMPARE(band[5].runs, 1);
        QCOMPARE(band[5].centre, 9.0);
        QCOMPARE(band[5].low, 9.0);
        QCOMPARE(band[6].high, 11.0);

        const auto std = aggregateCurves(series, {Centre::Mean, Band::Std});
        QCOMPARE_NEAR(std[0].high - std[0].centre, 1.0, 1e-15); // sd of {1, 3, 2}
        const auto median
            = aggregateCurves({{{0, 1}}, {{0, 2}}, {{0, 10}}}, {Centre::Median, Band::StdError});
        QCOMPARE(median[0].centre, 2.0);
        QCOMPARE_NEAR(median[0].high - median[0].centre, std::sqrt(73.0 / 3.0) / std::sqrt(3.0),
                      1e-12); // sd of {1, 2, 10}: sqrt(73 / 3)
        QVERIFY(aggregateCurves({{{0, NAN}}, {}}).empty());
    }

    // Many x are thinned to maxPoints evenly spaced ones across the runs' range.
    void curvesAreThinnedToMaxPoints()
    {
        std::vector<std::vector<CurvePoint>> series(3);
        for (int r = 0; r < 3; ++r)
            for (int s = 0; s <= 10000; ++s)
                series[r].push_back({double(s), double(r + s)});
        AggregateOptions options;
        options.maxPoints = 101;
        const auto band = aggregateCurves(series, options);
        QCOMPARE(band.size(), std::size_t(101));
        QCOMPARE(band[50].x, 5000.0);
        QCOMPARE(band[50].centre, 5001.0);
        QCOMPARE(band.back().x, 10000.0);
    }
};

LATHE_TEST_GUILESS_MAIN(TestStats)
#include "tst_stats.moc"
