#include "core/sweep/parzen.h"
#include "core/sweep/sampler.h"
#include "core/util/log_math.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <set>

using namespace lathe::sweep;
using nlohmann::json;
using State = TrialRecord::State;

namespace {

const json kBase = json::parse(R"({
    "optimizer": {"name": "adamw", "lr": 0.003, "momentum": 0.9, "weight_decay": 0.05},
    "training": {"batch_size": 64},
    "x": 0.5, "y": 0.01})");

SweepSpec makeSpec(const std::string &space, const std::string &sampler,
                   const std::string &direction = "minimize")
{
    const json spec = {{"base", kBase},
                       {"space", json::parse(space)},
                       {"objective", {{"metric", "f"}, {"direction", direction}}},
                       {"sampler", json::parse(sampler)},
                       {"trials", 100}};
    auto parsed = parseSweepSpec(spec, ".");
    if (!parsed)
        qFatal("bad test spec: %s", parsed.error().toString().c_str());
    return *parsed;
}

using ObjectiveFn = std::function<double(const Params &)>;

/// Asks and completes `trials` trials one after the other.
std::vector<TrialRecord> runStudy(const SweepSpec &spec, const ObjectiveFn &f, int trials)
{
    std::vector<TrialRecord> history;
    for (int n = 0; n < trials; ++n) {
        auto params = sampleTrial(spec, history, n);
        if (!params)
            qFatal("sampleTrial failed: %s", params.error().toString().c_str());
        const double value = f(*params);
        history.push_back({n, *params, State::Completed, value, {}});
    }
    return history;
}

/// The number of trials until f <= target (limit + 1 when never).
int trialsToTarget(const SweepSpec &spec, const ObjectiveFn &f, double target, int limit)
{
    std::vector<TrialRecord> history;
    for (int n = 0; n < limit; ++n) {
        const auto params = sampleTrial(spec, history, n);
        const double value = f(*params);
        if (value <= target)
            return n + 1;
        history.push_back({n, *params, State::Completed, value, {}});
    }
    return limit + 1;
}

double median(std::vector<int> values)
{
    std::ranges::sort(values);
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

const std::string kQuadraticSpace = R"({"x": {"type": "uniform", "low": 0, "high": 1},
                                        "y": {"type": "log_uniform", "low": 0.0001, "high": 1}})";

double quadratic(const Params &p)
{
    const double x = p.at("x").get<double>(), y = p.at("y").get<double>();
    return (x - 0.3) * (x - 0.3) + (std::log10(y) + 2) * (std::log10(y) + 2);
}

const std::string kConditionalSpace = R"({
    "optimizer.name": {"type": "choice", "values": ["sgd", "adamw", "rmsprop"]},
    "optimizer.momentum": {"type": "uniform", "low": 0.5, "high": 0.99,
                           "when": {"optimizer.name": "sgd"}},
    "optimizer.lr": {"type": "log_uniform", "low": 0.0001, "high": 0.1},
    "training.batch_size": {"type": "int", "low": 16, "high": 256, "step": 16}})";

double conditionalObjective(const Params &p)
{
    const double lr = std::log10(p.at("optimizer.lr").get<double>());
    double f
        = (lr + 2.5) * (lr + 2.5) + std::abs(p.at("training.batch_size").get<int>() - 96) / 100.0;
    if (p.at("optimizer.name") == "sgd")
        f += std::abs(p.at("optimizer.momentum").get<double>() - 0.9);
    else
        f += 0.5;
    return f;
}

bool sameParams(const Params &a, const Params &b)
{
    if (a.size() != b.size())
        return false;
    for (const auto &[key, value] : a)
        if (!b.contains(key) || !sameValue(value, b.at(key)))
            return false;
    return true;
}

} // namespace

class TestSamplers : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void normalFunctions()
    {
        // Reference values from torch.special (double precision).
        QVERIFY(qAbs(detail::ndtri(0.975) - 1.959963984540054) < 1e-13);
        QVERIFY(qAbs(detail::ndtri(1e-10) - -6.361340902404056) < 1e-12);
        QVERIFY(qAbs(detail::ndtri(0.999999) - 4.753424308817087) < 1e-8);
        QCOMPARE(detail::ndtri(0.5), 0.0);
        QVERIFY(qAbs(lathe::util::logNdtr(-30) - -454.32124395634327) < 1e-9);
        QVERIFY(qAbs(lathe::util::logNdtr(-10) - -53.23128515051248) < 1e-11);
        QVERIFY(qAbs(lathe::util::logNdtr(7) - -1.2798125438866539e-12) < 1e-20);
        // Mass far in one tail, where Phi(b) - Phi(a) rounds to 0 in doubles.
        const double tail = detail::logGaussMass(40, 41);
        QVERIFY(std::isfinite(tail));
        QVERIFY(
            qAbs(tail
                 - (lathe::util::logNdtr(-40)
                    + std::log1p(-std::exp(lathe::util::logNdtr(-41) - lathe::util::logNdtr(-40)))))
            < 1e-9);
        QVERIFY(qAbs(std::exp(detail::logGaussMass(-1.96, 1.96)) - 0.9500042097035591) < 1e-12);
    }

    // A random trial depends on the seed and its number only; these values pin the generator
    // and the draws (mt19937_64 words, the top 53 bits as a double), which are the same on
    // every platform.
    void randomIsSeeded()
    {
        const SweepSpec spec = makeSpec(kQuadraticSpace, R"({"name": "random", "seed": 42})");
        const auto first = sampleTrial(spec, {}, 0);
        QVERIFY(first);
        QCOMPARE((*first).at("x").get<double>(), 0.49263112483860427);
        QVERIFY(sameParams(*first, *sampleTrial(spec, {}, 0)));
        QVERIFY(!sameParams(*first, *sampleTrial(spec, {}, 1)));
        const SweepSpec other = makeSpec(kQuadraticSpace, R"({"name": "random", "seed": 43})");
        QVERIFY(!sameParams(*first, *sampleTrial(other, {}, 0)));
        // The history does not matter to the random sampler.
        const auto history = runStudy(spec, quadratic, 5);
        QVERIFY(sameParams(*first, *sampleTrial(spec, history, 0)));
    }

    void randomCoversTheSpace()
    {
        const SweepSpec spec = makeSpec(kConditionalSpace, R"({"name": "random", "seed": 3})");
        std::map<std::string, int> names;
        std::set<std::int64_t> batchSizes;
        double logLrSum = 0;
        constexpr int kTrials = 3000;
        for (int n = 0; n < kTrials; ++n) {
            const auto p = *sampleTrial(spec, {}, n);
            names[p.at("optimizer.name").get<std::string>()]++;
            const auto batch = p.at("training.batch_size").get<std::int64_t>();
            QVERIFY(batch >= 16 && batch <= 256 && batch % 16 == 0);
            batchSizes.insert(batch);
            const double lr = p.at("optimizer.lr").get<double>();
            QVERIFY(lr >= 1e-4 && lr <= 0.1);
            logLrSum += std::log10(lr);
        }
        QCOMPARE(batchSizes.size(), std::size_t(16));
        for (const auto &[name, count] : names)
            QVERIFY2(count > kTrials / 3 - 150 && count < kTrials / 3 + 150, name.c_str());
        QVERIFY(qAbs(logLrSum / kTrials - -2.5) < 0.05); // log-uniform: mean of log10 is -2.5
    }

    // TPE: the same history (in any order), seed and number give the same params.
    void tpeIsDeterministic()
    {
        const SweepSpec spec = makeSpec(kConditionalSpace, R"({"name": "tpe", "seed": 5})");
        auto history = runStudy(spec, conditionalObjective, 25);
        const auto asked = sampleTrial(spec, history, 25);
        QVERIFY(asked);
        std::mt19937 shuffle(1);
        std::ranges::shuffle(history, shuffle);
        QVERIFY(sameParams(*asked, *sampleTrial(spec, history, 25)));
        QVERIFY(!sameParams(*asked, *sampleTrial(spec, history, 26)));
        // The whole study replays identically.
        const auto again = runStudy(spec, conditionalObjective, 25);
        std::ranges::sort(history, {}, &TrialRecord::number);
        for (std::size_t i = 0; i < again.size(); ++i)
            QVERIFY(sameParams(again[i].params, history[i].params));
    }

    // Until startup_trials trials are completed or pruned, TPE draws exactly what the random
    // sampler draws; pruned trials count, running and failed ones do not.
    void tpeStartsRandom()
    {
        const SweepSpec tpe
            = makeSpec(kQuadraticSpace, R"({"name": "tpe", "seed": 9, "startup_trials": 10})");
        const SweepSpec random = makeSpec(kQuadraticSpace, R"({"name": "random", "seed": 9})");
        auto history = runStudy(random, quadratic, 9);
        history.push_back({9, *sampleTrial(random, {}, 9), State::Running, {}, {}});
        history.push_back({10, *sampleTrial(random, {}, 10), State::Failed, {}, {}});
        QVERIFY(sameParams(*sampleTrial(tpe, history, 11), *sampleTrial(random, history, 11)));
        history.push_back({11, *sampleTrial(random, {}, 11), State::Pruned, {}, {{1, 0.5}}});
        QVERIFY(!sameParams(*sampleTrial(tpe, history, 12), *sampleTrial(random, history, 12)));
    }

    // Maximising -f asks exactly what minimising f asks.
    void tpeHandlesDirection()
    {
        const SweepSpec minimize = makeSpec(kConditionalSpace, R"({"name": "tpe", "seed": 2})");
        const SweepSpec maximize
            = makeSpec(kConditionalSpace, R"({"name": "tpe", "seed": 2})", "maximize");
        auto history = runStudy(minimize, conditionalObjective, 30);
        auto negated = history;
        for (auto &trial : negated)
            trial.value = -*trial.value;
        for (int n = 30; n < 35; ++n)
            QVERIFY(
                sameParams(*sampleTrial(minimize, history, n), *sampleTrial(maximize, negated, n)));
        // ... and not what maximising f asks.
        QVERIFY(
            !sameParams(*sampleTrial(minimize, history, 30), *sampleTrial(maximize, history, 30)));
    }

    // The issue's test: TPE reaches f <= 0.02 on f = (x - 0.3)^2 + (log10 y + 2)^2 (x uniform
    // in [0, 1], y log-uniform in [1e-4, 1]; the target region is about 1.6% of the space) in
    // fewer trials than random search: medians over 11 seeds.
    void tpeBeatsRandomOnQuadratic()
    {
        constexpr double kTarget = 0.02;
        constexpr int kLimit = 400;
        std::vector<int> tpeTrials, randomTrials;
        for (int seed = 1; seed <= 11; ++seed) {
            const std::string s = std::to_string(seed);
            tpeTrials.push_back(
                trialsToTarget(makeSpec(kQuadraticSpace, R"({"name": "tpe", "seed": )" + s + "}"),
                               quadratic, kTarget, kLimit));
            randomTrials.push_back(trialsToTarget(
                makeSpec(kQuadraticSpace, R"({"name": "random", "seed": )" + s + "}"), quadratic,
                kTarget, kLimit));
        }
        const double tpeMedian = median(tpeTrials), randomMedian = median(randomTrials);
        qInfo("trials to f <= %g, median over 11 seeds: tpe %g, random %g", kTarget, tpeMedian,
              randomMedian);
        QVERIFY(tpeMedian < randomMedian);
        QVERIFY(tpeMedian <= randomMedian / 2); // 14 against 46 when written
    }

    // A conditional key is present exactly when its condition holds, with TPE too, and TPE's
    // int and choice values stay on their grids.
    void conditionalKeysOnlyWhenActive()
    {
        for (const char *sampler :
             {R"({"name": "random", "seed": 4})", R"({"name": "tpe", "seed": 4})"}) {
            const SweepSpec spec = makeSpec(kConditionalSpace, sampler);
            const auto history = runStudy(spec, conditionalObjective, 60);
            int sgd = 0;
            for (const auto &trial : history) {
                const auto &p = trial.params;
                const bool isSgd = p.at("optimizer.name") == "sgd";
                sgd += isSgd;
                QCOMPARE(p.contains("optimizer.momentum"), isSgd);
                QCOMPARE(p.size(), std::size_t(isSgd ? 4 : 3));
                if (isSgd) {
                    const double m = p.at("optimizer.momentum").get<double>();
                    QVERIFY(m >= 0.5 && m <= 0.99);
                }
                QVERIFY(p.at("training.batch_size").is_number_integer());
                QCOMPARE(p.at("training.batch_size").get<int>() % 16, 0);
                const std::string name = p.at("optimizer.name").get<std::string>();
                QVERIFY(name == "sgd" || name == "adamw" || name == "rmsprop");
            }
            QVERIFY(sgd > 5);
        }
    }

    // TPE learns a categorical key: sgd is the best optimizer (by 0.1 to 0.5), so after the
    // start-up it asks for sgd far more often than the third of the time random search does:
    // trials 30 to 79 over seeds 1 to 5 (205 of 250 when written; random: 74).
    void tpeLearnsChoice()
    {
        long long sgd = 0;
        for (int seed = 1; seed <= 5; ++seed) {
            const SweepSpec spec = makeSpec(kConditionalSpace, R"({"name": "tpe", "seed": )"
                                                                   + std::to_string(seed) + "}");
            const auto history = runStudy(spec, conditionalObjective, 80);
            sgd += std::ranges::count_if(history.begin() + 30, history.end(), [](const auto &t) {
                return t.params.at("optimizer.name") == "sgd";
            });
        }
        qInfo("tpe asked for sgd in %lld of 250 trials", sgd);
        QVERIFY(sgd >= 150);
    }

    // Three workers over a 3 x 4 grid: each ask takes the first point no trial has, running
    // and failed trials included, so the 12 points are covered exactly once; then the grid
    // says it is exhausted.
    void gridCoversOnce()
    {
        const SweepSpec spec = makeSpec(
            R"({"optimizer.name": {"type": "choice", "values": ["sgd", "adamw", "rmsprop"]},
                "training.batch_size": {"type": "int", "low": 32, "high": 128, "step": 32}})",
            R"({"name": "grid"})");
        std::vector<TrialRecord> history;
        const auto ask = [&](int n) {
            const auto params = sampleTrial(spec, history, n);
            if (!params)
                qFatal("%s", params.error().toString().c_str());
            history.push_back({n, *params, State::Running, {}, {}});
        };
        ask(0); // three workers start together: three running trials
        ask(1);
        ask(2);
        QVERIFY(sameParams(history[0].params,
                           {{"optimizer.name", "sgd"}, {"training.batch_size", 32}}));
        QVERIFY(sameParams(history[1].params,
                           {{"optimizer.name", "sgd"}, {"training.batch_size", 64}}));
        QVERIFY(sameParams(history[2].params,
                           {{"optimizer.name", "sgd"}, {"training.batch_size", 96}}));
        for (int n = 3; n < 12; ++n) {
            // A trial finishes (one fails: its point is not asked again), a worker asks.
            auto &done = history[std::size_t(n - 3)];
            done.state = n == 5 ? State::Failed : State::Completed;
            done.value = 1.0;
            ask(n);
        }
        std::set<std::pair<std::string, int>> seen;
        for (const auto &trial : history)
            seen.insert({trial.params.at("optimizer.name").get<std::string>(),
                         trial.params.at("training.batch_size").get<int>()});
        QCOMPARE(seen.size(), std::size_t(12));
        for (const char *name : {"sgd", "adamw", "rmsprop"})
            for (int batch : {32, 64, 96, 128})
                QVERIFY(seen.contains({name, batch}));
        const auto exhausted = sampleTrial(spec, history, 12);
        QVERIFY(!exhausted);
        QCOMPARE(exhausted.error().code, lathe::ErrorCode::NotFound);
        QCOMPARE(exhausted.error().message,
                 std::string("the grid is exhausted: all 12 points have a trial"));
    }

    void gridOverARangeWithPoints()
    {
        const SweepSpec spec = makeSpec(
            R"({"optimizer.lr": {"type": "log_uniform", "low": 0.001, "high": 0.1, "grid": 3}})",
            R"({"name": "grid"})");
        std::vector<TrialRecord> history;
        std::vector<double> asked;
        for (int n = 0; n < 3; ++n) {
            const auto p = *sampleTrial(spec, history, n);
            asked.push_back(p.at("optimizer.lr").get<double>());
            history.push_back({n, p, State::Running, {}, {}});
        }
        QCOMPARE(asked[0], 0.001);
        QVERIFY(qAbs(asked[1] - 0.01) < 1e-15);
        QCOMPARE(asked[2], 0.1);
        QVERIFY(!sampleTrial(spec, history, 3));
    }
};

LATHE_TEST_GUILESS_MAIN(TestSamplers)
#include "tst_samplers.moc"
