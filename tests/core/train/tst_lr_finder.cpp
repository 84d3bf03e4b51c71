// The learning-rate range test on a real Fashion-MNIST subset: the sweep's shape, the
// divergence stop, cancellation, and the suggestion rule on synthetic curves.
#include "core/train/lr_finder.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <atomic>
#include <cmath>

using namespace lathe;
using namespace lathe::train;

namespace {

RunConfig finderConfig()
{
    RunConfig c;
    c.data.path = LATHE_TEST_FASHION_DIR;
    c.data.subset = 2000;
    c.model = {"mlp", {64}, 0.0};
    c.optimizer.name = "adamw";
    c.training.batchSize = 64;
    c.training.seed = 3;
    return c;
}

/// Points at rates 1e-6 · ratio^i with the given smoothed losses.
LrFinderResult curve(const std::vector<double> &smoothed, double ratio)
{
    LrFinderResult r;
    for (std::size_t i = 0; i < smoothed.size(); ++i)
        r.points.push_back({1e-6 * std::pow(ratio, double(i)), smoothed[i], smoothed[i]});
    return r;
}

} // namespace

class TestLrFinder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sweepRecordsIncreasingRatesAndSuggestsInside()
    {
        LrFinderOptions options;
        options.steps = 60;
        std::int64_t calls = 0;
        auto result
            = findLearningRate(finderConfig(), options, {},
                               [&](const LrFinderPoint &, std::int64_t step, std::int64_t steps) {
                                   ++calls;
                                   QCOMPARE(steps, 60);
                                   QCOMPARE(step, calls);
                               });
        QVERIFY2(result.has_value(), result ? "" : result.error().toString().c_str());
        const auto &p = result->points;
        QVERIFY(p.size() >= 20);
        QVERIFY(std::int64_t(p.size()) <= options.steps);
        QCOMPARE(std::int64_t(p.size()), calls);
        QCOMPARE(p.front().lr, options.startLr);
        for (std::size_t i = 0; i < p.size(); ++i) {
            QVERIFY(std::isfinite(p[i].loss) && std::isfinite(p[i].smoothedLoss));
            QCOMPARE(p[i].lr, sweepLr(options, std::int64_t(i)));
            if (i > 0)
                QVERIFY(p[i].lr > p[i - 1].lr);
        }
        if (!result->diverged)
            QCOMPARE(std::int64_t(p.size()), options.steps);
        QVERIFY(result->suggestedLr >= p.front().lr && result->suggestedLr <= p.back().lr);
        QCOMPARE(result->suggestedLr, p[std::size_t(result->suggestedIndex)].lr);
        QVERIFY(!result->rule.empty());
        // The loss at the start (lr 1e-6 barely moves the weights) is near ln(10).
        QVERIFY(std::abs(p.front().loss - std::log(10.0)) < 0.5);
    }

    void explodingLossStopsTheSweep()
    {
        LrFinderOptions options;
        options.startLr = 1e-3;
        options.endLr = 1e3;
        options.steps = 80;
        auto config = finderConfig();
        config.optimizer.name = "sgd";
        config.optimizer.momentum = 0.9;
        auto result = findLearningRate(config, options);
        QVERIFY2(result.has_value(), result ? "" : result.error().toString().c_str());
        QVERIFY(result->diverged);
        QVERIFY(std::int64_t(result->points.size()) < options.steps);
        for (const auto &point : result->points)
            QVERIFY(std::isfinite(point.loss));
        QVERIFY(result->suggestedLr < result->points.back().lr);
    }

    void stopTokenCancels()
    {
        std::stop_source stop;
        std::atomic<int> seen{0};
        LrFinderOptions options;
        auto result = findLearningRate(finderConfig(), options, stop.get_token(),
                                       [&](const LrFinderPoint &, std::int64_t step, std::int64_t) {
                                           seen = int(step);
                                           if (step == 5)
                                               stop.request_stop();
                                       });
        QVERIFY(!result.has_value());
        QCOMPARE(result.error().code, ErrorCode::Cancelled);
        QCOMPARE(seen.load(), 5);
    }

    void badOptionsAreRefused()
    {
        LrFinderOptions options;
        options.endLr = options.startLr / 2;
        auto result = findLearningRate(finderConfig(), options);
        QVERIFY(!result.has_value());
        QCOMPARE(result.error().code, ErrorCode::InvalidArgument);
        QVERIFY(QString::fromStdString(result.error().context).contains("end_lr"));
    }

    void suggestionIsTheSteepestDescent()
    {
        // Flat, a steep drop centred on index 12, the minimum at 20, then a rise.
        std::vector<double> losses;
        for (int i = 0; i < 30; ++i) {
            const double drop = 2.0 - 1.5 / (1.0 + std::exp(-(i - 12.0)));
            losses.push_back(i <= 20 ? drop : 0.5 + 0.3 * (i - 20));
        }
        auto result = curve(losses, std::pow(10.0, 0.1));
        suggestLearningRate(result, 3);
        QCOMPARE(result.suggestedIndex, 12);
        QCOMPARE(result.suggestedLr, result.points[12].lr);
        QCOMPARE(result.rule, std::string("steepest descent of the smoothed loss"));
    }

    void shortCurveFallsBackToMinimumOverTen()
    {
        // The minimum (index 10) comes before skipStart: a tenth of its rate is
        // 1e-6 · 2^10 / 10 = 1.02e-4, and the last rate not above it is 1e-6 · 2^6.
        std::vector<double> losses(14, 1.0);
        losses[10] = 0.5;
        auto result = curve(losses, 2.0);
        suggestLearningRate(result, 12);
        QCOMPARE(result.rule, std::string("minimum of the smoothed loss / 10"));
        QCOMPARE(result.suggestedIndex, 6);
        QCOMPARE(result.suggestedLr, 64e-6);
        LrFinderResult empty;
        suggestLearningRate(empty, 5);
        QCOMPARE(empty.suggestedLr, 0.0);
    }
};

LATHE_TEST_GUILESS_MAIN(TestLrFinder)
#include "tst_lr_finder.moc"
