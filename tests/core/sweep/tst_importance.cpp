#include "core/sweep/importance.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>

using namespace lathe::sweep;
using nlohmann::json;
using State = TrialRecord::State;

namespace {

SweepSpec importanceSpec(const std::string &space, const json &base)
{
    const json spec = {{"base", base},
                       {"space", json::parse(space)},
                       {"objective", {{"metric", "f"}, {"direction", "minimize"}}},
                       {"sampler", {{"name", "random"}, {"seed", 11}}},
                       {"trials", 300}};
    auto parsed = parseSweepSpec(spec, ".");
    if (!parsed)
        qFatal("bad test spec: %s", parsed.error().toString().c_str());
    return *parsed;
}

/// `n` random trials, completed with f's value.
std::vector<TrialRecord> randomTrials(const SweepSpec &spec, int n,
                                      const std::function<double(const Params &)> &f)
{
    std::vector<TrialRecord> trials;
    for (int i = 0; i < n; ++i) {
        const Params params = *sampleTrial(spec, {}, i);
        trials.push_back({i, params, State::Completed, f(params), {}});
    }
    return trials;
}

std::map<std::string, double> byKey(const std::vector<ParameterImportance> &importances)
{
    std::map<std::string, double> out;
    for (const auto &entry : importances)
        out[entry.key] = entry.importance;
    return out;
}

double importanceSum(const std::vector<ParameterImportance> &importances)
{
    double sum = 0;
    for (const auto &entry : importances)
        sum += entry.importance;
    return sum;
}

const std::string kUniformSpace = R"({"x": {"type": "uniform", "low": 0, "high": 1},
                                      "y": {"type": "uniform", "low": 0, "high": 1},
                                      "z": {"type": "uniform", "low": 0, "high": 1}})";
const json kUniformBase = {{"x", 0.5}, {"y", 0.5}, {"z", 0.5}};

double strongWeakNone(const Params &p)
{
    const double x = p.at("x").get<double>(), y = p.at("y").get<double>();
    return 10 * (x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5);
}

} // namespace

class TestImportance : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // f = 10 (x - 0.5)^2 + (y - 0.5)^2, nothing of z: x > y > z, most of it on x.
    void strongWeakAndNone()
    {
        const SweepSpec spec = importanceSpec(kUniformSpace, kUniformBase);
        const auto trials = randomTrials(spec, 300, strongWeakNone);
        const auto importances = parameterImportance(spec.space, Direction::Minimize, trials);
        QCOMPARE(importances.size(), std::size_t(3));
        QCOMPARE(importances[0].key, std::string("x"));
        QCOMPARE(importances[1].key, std::string("y"));
        QCOMPARE(importances[2].key, std::string("z"));
        auto importance = byKey(importances);
        qInfo("x %.3f, y %.3f, z %.3f", importance["x"], importance["y"], importance["z"]);
        // 0.897, 0.102, 0.001 when written
        QVERIFY(importance["x"] > 0.8);
        QVERIFY(importance["z"] < 0.02);
        QVERIFY(qAbs(importanceSum(importances) - 1) < 1e-12);
    }

    // Maximising -f measures the same thing.
    void directionDoesNotMatter()
    {
        const SweepSpec spec = importanceSpec(kUniformSpace, kUniformBase);
        auto trials = randomTrials(spec, 200, strongWeakNone);
        const auto minimised = byKey(parameterImportance(spec.space, Direction::Minimize, trials));
        for (auto &trial : trials)
            trial.value = -*trial.value;
        const auto maximised = byKey(parameterImportance(spec.space, Direction::Maximize, trials));
        for (const auto &[key, value] : minimised)
            QVERIFY(qAbs(value - maximised.at(key)) < 1e-12);
    }

    // A log_uniform key (strong: a narrow optimum at 1e-2 in log space), a choice key (weak: b
    // and c cost 0.3 and 0.6) and an int key (none). PED-ANOVA measures how much more the top
    // 10% concentrate than all trials: a key with 3 values can concentrate less than a
    // continuous one, so the choice is the weak key here.
    void logChoiceAndInt()
    {
        const SweepSpec spec = importanceSpec(
            R"({"name": {"type": "choice", "values": ["a", "b", "c"]},
                "lr": {"type": "log_uniform", "low": 0.0001, "high": 1},
                "n": {"type": "int", "low": 1, "high": 64}})",
            {{"name", "a"}, {"lr", 0.1}, {"n", 8}});
        const auto trials = randomTrials(spec, 300, [](const Params &p) {
            const double lr = std::log10(p.at("lr").get<double>());
            const double cost = p.at("name") == "a" ? 0.0 : p.at("name") == "b" ? 0.3 : 0.6;
            return (lr + 2) * (lr + 2) + cost;
        });
        const auto importances = parameterImportance(spec.space, Direction::Minimize, trials);
        auto importance = byKey(importances);
        qInfo("lr %.3f, name %.3f, n %.3f", importance["lr"], importance["name"], importance["n"]);
        // 0.868, 0.121, 0.011 when written
        QCOMPARE(importances[0].key, std::string("lr"));
        QCOMPARE(importances[1].key, std::string("name"));
        QCOMPARE(importances[2].key, std::string("n"));
        QVERIFY(importance["lr"] > 0.7);
        QVERIFY(importance["n"] < 0.05);
        QVERIFY(qAbs(importanceSum(importances) - 1) < 1e-12);
    }

    // A conditional key is measured over the trials where it was active: momentum decides f
    // among the sgd trials.
    void conditionalKey()
    {
        const SweepSpec spec = importanceSpec(
            R"({"opt": {"type": "choice", "values": ["sgd", "adam"]},
                "momentum": {"type": "uniform", "low": 0, "high": 1, "when": {"opt": "sgd"}},
                "noise": {"type": "uniform", "low": 0, "high": 1}})",
            {{"opt", "sgd"}, {"momentum", 0.9}, {"noise", 0.5}});
        const auto trials = randomTrials(spec, 300, [](const Params &p) {
            if (p.at("opt") == "sgd")
                return 5 * std::abs(p.at("momentum").get<double>() - 0.9);
            return 1.0;
        });
        auto importance = byKey(parameterImportance(spec.space, Direction::Minimize, trials));
        qInfo("opt %.3f, momentum %.3f, noise %.3f", importance["opt"], importance["momentum"],
              importance["noise"]);
        // 0.071, 0.927, 0.001 when written
        QVERIFY(importance["momentum"] > 0.5);
        QVERIFY(importance["opt"] > importance["noise"]);
        QVERIFY(importance["noise"] < 0.05);
    }

    void tooFewTrials()
    {
        const SweepSpec spec = importanceSpec(kUniformSpace, kUniformBase);
        auto trials = randomTrials(spec, 2, strongWeakNone);
        trials.push_back({2, trials[0].params, State::Running, {}, {}});
        trials.push_back({3, trials[0].params, State::Failed, {}, {}});
        QVERIFY(parameterImportance(spec.space, Direction::Minimize, trials).empty());
    }

    // A flat objective: every trial is a top trial, nothing differs, the keys share equally.
    void flatObjectiveSharesEqually()
    {
        const SweepSpec spec = importanceSpec(kUniformSpace, kUniformBase);
        const auto trials = randomTrials(spec, 50, [](const Params &) { return 1.0; });
        const auto importances = parameterImportance(spec.space, Direction::Minimize, trials);
        QCOMPARE(importances.size(), std::size_t(3));
        for (const auto &entry : importances)
            QVERIFY(qAbs(entry.importance - 1.0 / 3) < 1e-12);
    }
};

LATHE_TEST_GUILESS_MAIN(TestImportance)
#include "tst_importance.moc"
