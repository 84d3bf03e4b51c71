#include "core/sweep/search_space.h"
#include "core/sweep/sweep_spec.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

using namespace lathe::sweep;
using nlohmann::json;

namespace {

json baseConfig()
{
    std::ifstream in(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");
    return json::parse(in);
}

} // namespace

class TestSearchSpace : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Every bad space is refused with a message that names the key and says what is wrong.
    void badInput_data()
    {
        QTest::addColumn<QString>("space");
        QTest::addColumn<QString>("error");
        QTest::newRow("unknown key")
            << R"({"optimizer.lrr": {"type": "uniform", "low": 0, "high": 1}})"
            << R"(space."optimizer.lrr": not a key of the base config; keys in optimizer are: )"
               R"(alpha, beta1, beta2, eps, lr, momentum, name, nesterov, weight_decay; did you )"
               R"(mean "optimizer.lr"?)";
        QTest::newRow("unknown section")
            << R"({"optimiser.lr": {"type": "uniform", "low": 0, "high": 1}})"
            << R"(space."optimiser.lr": not a key of the base config; did you mean )"
               R"("optimizer.lr"?)";
        QTest::newRow("a section, not a value")
            << R"({"histograms": {"type": "uniform", "low": 0, "high": 1}})"
            << R"(space."histograms": a section of the base config, not a value; name one of )"
               R"(its keys: bins, every)";
        QTest::newRow("a path through a value")
            << R"({"optimizer.lr.x": {"type": "uniform", "low": 0, "high": 1}})"
            << R"(space."optimizer.lr.x": optimizer.lr is a value in the base config, not a )"
               R"(section)";
        QTest::newRow("empty segment")
            << R"({"optimizer..lr": {"type": "uniform", "low": 0, "high": 1}})"
            << R"(space."optimizer..lr": expected a dotted config key such as optimizer.lr)";
        QTest::newRow("empty range")
            << R"({"optimizer.lr": {"type": "uniform", "low": 0.1, "high": 0.1}})"
            << R"(space."optimizer.lr": empty range: low and high are both 0.1)";
        QTest::newRow("low above high")
            << R"({"optimizer.lr": {"type": "log_uniform", "low": 0.1, "high": 0.01}})"
            << R"(space."optimizer.lr": low 0.1 is above high 0.01)";
        QTest::newRow("log of zero")
            << R"({"optimizer.weight_decay": {"type": "log_uniform", "low": 0, "high": 0.1}})"
            << R"(space."optimizer.weight_decay": log_uniform needs bounds above 0, but low is 0)";
        QTest::newRow("log of a negative bound")
            << R"({"optimizer.lr": {"type": "log_uniform", "low": -1, "high": 0.1}})"
            << R"(space."optimizer.lr": log_uniform needs bounds above 0, but low is -1)";
        QTest::newRow("missing high") << R"({"optimizer.lr": {"type": "uniform", "low": 0.1}})"
                                      << R"(space."optimizer.lr": missing "high")";
        QTest::newRow("bound not a number")
            << R"({"optimizer.lr": {"type": "uniform", "low": "0.1", "high": 1}})"
            << R"(space."optimizer.lr": low "0.1" is not a finite number)";
        QTest::newRow("int step zero")
            << R"({"training.batch_size": {"type": "int", "low": 8, "high": 64, "step": 0}})"
            << R"(space."training.batch_size": step 0 is not a positive integer)";
        QTest::newRow("int step negative")
            << R"({"training.batch_size": {"type": "int", "low": 8, "high": 64, "step": -8}})"
            << R"(space."training.batch_size": step -8 is not a positive integer)";
        QTest::newRow("int range not a multiple of the step")
            << R"({"training.batch_size": {"type": "int", "low": 8, "high": 60, "step": 8}})"
            << R"(space."training.batch_size": the range 8..60 is not a multiple of step 8 )"
               R"((60 - 8 = 52); use high 56 or 64)";
        QTest::newRow("int low above high")
            << R"({"training.batch_size": {"type": "int", "low": 64, "high": 8}})"
            << R"(space."training.batch_size": low 64 is above high 8)";
        QTest::newRow("int empty range")
            << R"({"training.batch_size": {"type": "int", "low": 64, "high": 64}})"
            << R"(space."training.batch_size": empty range: low and high are both 64)";
        QTest::newRow("int bound not an integer")
            << R"({"training.batch_size": {"type": "int", "low": 8.5, "high": 64}})"
            << R"(space."training.batch_size": low 8.5 is not an integer (within +-2^52))";
        QTest::newRow("choice with mixed types")
            << R"({"optimizer.name": {"type": "choice", "values": ["sgd", 1]}})"
            << R"(space."optimizer.name": values mix types: "sgd" is a string, 1 is a number)";
        QTest::newRow("choice with no values")
            << R"({"optimizer.name": {"type": "choice", "values": []}})"
            << R"(space."optimizer.name": a choice with no values)";
        QTest::newRow("choice without values")
            << R"({"optimizer.name": {"type": "choice"}})"
            << R"(space."optimizer.name": a choice needs "values", a non-empty list such as )"
               R"(["sgd", "adamw"])";
        QTest::newRow("choice listing a value twice")
            << R"({"optimizer.name": {"type": "choice", "values": ["sgd", "adamw", "sgd"]}})"
            << R"(space."optimizer.name": value "sgd" is listed twice)";
        QTest::newRow("choice of another type than the config's")
            << R"({"optimizer.name": {"type": "choice", "values": [1, 2]}})"
            << R"(space."optimizer.name": the values are numbers, but optimizer.name is a )"
               R"(string in the base config ("adamw"))";
        QTest::newRow("range over a string")
            << R"({"optimizer.name": {"type": "uniform", "low": 0, "high": 1}})"
            << R"(space."optimizer.name": a uniform range gives numbers, but optimizer.name is )"
               R"(a string in the base config ("adamw"))";
        QTest::newRow("unknown type")
            << R"({"optimizer.lr": {"type": "normal", "low": 0, "high": 1}})"
            << R"(space."optimizer.lr": type "normal" is not one of: uniform, log_uniform, int, )"
               R"(choice)";
        QTest::newRow("missing type") << R"({"optimizer.lr": {"low": 0, "high": 1}})"
                                      << R"(space."optimizer.lr": missing "type"; expected one )"
                                         R"(of: uniform, log_uniform, int, choice)";
        QTest::newRow("field of another type")
            << R"({"optimizer.lr": {"type": "uniform", "low": 0, "high": 1, "step": 1}})"
            << R"(space."optimizer.lr": unknown field "step" for a uniform key; its fields are: )"
               R"(type, low, high, grid, when)";
        QTest::newRow("grid too small")
            << R"({"optimizer.lr": {"type": "uniform", "low": 0, "high": 1, "grid": 1}})"
            << R"(space."optimizer.lr": grid 1 is not an integer in [2, 100000])";
        QTest::newRow("condition on an unknown key")
            << R"({"optimizer.momentum": {"type": "uniform", "low": 0.5, "high": 0.9,
                                          "when": {"optimizer.nam": "sgd"}}})"
            << R"(space."optimizer.momentum": its condition names optimizer.nam, which is )"
               R"(neither a key of the space nor of the base config)";
        QTest::newRow("condition that never holds")
            << R"({"optimizer.momentum": {"type": "uniform", "low": 0.5, "high": 0.9,
                                          "when": {"optimizer.name": "sgd"}}})"
            << R"(space."optimizer.momentum": its condition never holds: optimizer.name is )"
               R"("adamw" in the base config and not in the space, and the condition wants "sgd")";
        QTest::newRow("condition value the key never takes")
            << R"({"optimizer.name": {"type": "choice", "values": ["sgd", "adamw"]},
                  "optimizer.momentum": {"type": "uniform", "low": 0.5, "high": 0.9,
                                         "when": {"optimizer.name": ["sgd", "rmsprop"]}}})"
            << R"(space."optimizer.momentum": its condition value "rmsprop" is not one of )"
               R"(optimizer.name's values: "sgd", "adamw")";
        QTest::newRow("condition on a continuous key")
            << R"({"optimizer.lr": {"type": "uniform", "low": 0.01, "high": 0.1},
                  "optimizer.momentum": {"type": "uniform", "low": 0.5, "high": 0.9,
                                         "when": {"optimizer.lr": 0.05}}})"
            << R"(space."optimizer.momentum": its condition names optimizer.lr, a uniform key; )"
               R"(a condition needs a choice or int key)";
        QTest::newRow("condition on itself")
            << R"({"optimizer.name": {"type": "choice", "values": ["sgd", "adamw"],
                                     "when": {"optimizer.name": "sgd"}}})"
            << R"(space."optimizer.name": its condition names the key itself)";
        QTest::newRow("conditions in a cycle")
            << R"({"optimizer.name": {"type": "choice", "values": ["sgd", "adamw"],
                                     "when": {"optimizer.nesterov": true}},
                  "optimizer.nesterov": {"type": "choice", "values": [true, false],
                                         "when": {"optimizer.name": "sgd"}}})"
            << R"(space."optimizer.name": conditions form a cycle among: optimizer.name, )"
               R"(optimizer.nesterov)";
        QTest::newRow("empty condition")
            << R"({"optimizer.lr": {"type": "uniform", "low": 0.01, "high": 0.1, "when": {}}})"
            << R"(space."optimizer.lr": "when" must be a non-empty object such as )"
               R"({"optimizer.name": "sgd"}, got {})";
        QTest::newRow("not an object") << R"({"optimizer.lr": [0.1, 0.2]})"
                                       << R"(space."optimizer.lr": expected an object such as )"
                                          R"({"type": "uniform", "low": 0, "high": 1}, got )"
                                          R"([0.1,0.2])";
        QTest::newRow("empty space") << "{}"
                                     << "space: no keys to search";
    }
    void badInput()
    {
        QFETCH(QString, space);
        QFETCH(QString, error);
        const auto parsed = parseSearchSpace(json::parse(space.toStdString()), baseConfig());
        QVERIFY(!parsed);
        QCOMPARE(QString::fromStdString(parsed.error().toString()), error);
        QCOMPARE(parsed.error().code, lathe::ErrorCode::InvalidArgument);
    }

    // A JSON object keeps only the last of two equal keys, so the spec's text parser catches
    // them, naming the key.
    void duplicateKeyInSpecText()
    {
        const std::string text = R"({"base": {"optimizer": {"lr": 0.1}},
            "space": {"optimizer.lr": {"type": "uniform", "low": 0.01, "high": 0.1},
                      "optimizer.lr": {"type": "uniform", "low": 0.02, "high": 0.2}},
            "objective": {"metric": "val/loss", "direction": "minimize"}, "trials": 5})";
        const auto spec = parseSweepSpecText(text, ".");
        QVERIFY(!spec);
        QCOMPARE(QString::fromStdString(spec.error().toString()),
                 QStringLiteral(R"(space."optimizer.lr": given twice)"));
    }

    // The example spec in resources/sweeps parses: its base config found from the spec's
    // folder, its five keys in sampling order (momentum after the optimizer it depends on).
    void exampleSpecParses()
    {
        const auto spec = loadSweepSpec(LATHE_TEST_RESOURCES "/sweeps/fashion-cnn-lr.json");
        QVERIFY2(spec, spec ? "" : spec.error().toString().c_str());
        QCOMPARE(spec->name, std::string("fashion-cnn-lr"));
        QCOMPARE(spec->basePath.filename().string(), std::string("fashion-cnn.json"));
        QCOMPARE(spec->base, baseConfig());
        std::vector<std::string> keys;
        for (const auto &dim : spec->space.dimensions)
            keys.push_back(dim.key);
        QCOMPARE(keys, (std::vector<std::string>{"model.widths", "optimizer.lr", "optimizer.name",
                                                 "optimizer.momentum", "optimizer.weight_decay"}));
        const Dimension *lr = spec->space.find("optimizer.lr");
        QCOMPARE(lr->kind, Kind::LogUniform);
        QCOMPARE(lr->low, 1e-4);
        QCOMPARE(lr->high, 0.1);
        const Dimension *momentum = spec->space.find("optimizer.momentum");
        QCOMPARE(momentum->when.size(), std::size_t(1));
        QCOMPARE(momentum->when[0].key, std::string("optimizer.name"));
        QCOMPARE(momentum->when[0].values, std::vector<json>{"sgd"});
        QCOMPARE(spec->space.find("model.widths")->values.size(), std::size_t(3));
        QCOMPARE(spec->objective.metric, std::string("val/accuracy"));
        QCOMPARE(spec->objective.direction, Direction::Maximize);
        QCOMPARE(spec->sampler.name, SamplerSpec::Name::Tpe);
        QCOMPARE(spec->sampler.seed, std::uint64_t(7));
        QCOMPARE(spec->pruner.name, PrunerSpec::Name::Asha);
        QCOMPARE(spec->pruner.reductionFactor, 3);
        QCOMPARE(spec->trials, 40);
        QCOMPARE(spec->workers, 2);
    }

    // Applying a trial's params changes exactly those keys of the config.
    void applyChangesExactlyThoseKeys()
    {
        const json base = baseConfig();
        const Params params{{"optimizer.lr", 0.0123},
                            {"model.widths", json::array({16, 32, 64})},
                            {"optimizer.name", "sgd"}};
        const auto applied = applyParams(base, params);
        QVERIFY(applied);
        const json before = base.flatten(), after = applied->flatten();
        std::set<std::string> changed;
        for (const auto &[pointer, value] : after.items())
            if (!before.contains(pointer) || before[pointer] != value)
                changed.insert(pointer);
        for (const auto &[pointer, value] : before.items())
            if (!after.contains(pointer))
                changed.insert(pointer);
        QCOMPARE(changed,
                 (std::set<std::string>{"/model/widths/0", "/model/widths/1", "/model/widths/2",
                                        "/optimizer/lr", "/optimizer/name"}));
        QCOMPARE((*applied)["optimizer"]["lr"].get<double>(), 0.0123);
        QCOMPARE((*applied)["model"]["widths"], json::array({16, 32, 64}));
        QCOMPARE((*applied)["optimizer"]["name"], json("sgd"));
        QCOMPARE(base["optimizer"]["name"], json("adamw")); // the base is untouched
    }

    void applyRefusesUnknownKey()
    {
        const auto applied = applyParams(baseConfig(), {{"optimizer.lrr", 0.1}});
        QVERIFY(!applied);
        QCOMPARE(applied.error().code, lathe::ErrorCode::NotFound);
        QCOMPARE(applied.error().context, std::string("optimizer.lrr"));
    }

    // A condition on a key of the base config is decided once: it holds here, so it is gone.
    void conditionOnConfigKeyThatHolds()
    {
        const auto space = parseSearchSpace(
            json::parse(R"({"optimizer.momentum": {"type": "uniform", "low": 0.5, "high": 0.9,
                                                  "when": {"optimizer.name": "adamw"}}})"),
            baseConfig());
        QVERIFY(space);
        QVERIFY(space->dimensions[0].when.empty());
        QVERIFY(isActive(space->dimensions[0], {}));
    }

    void isActiveFollowsConditions()
    {
        const auto space = parseSearchSpace(
            json::parse(
                R"({"optimizer.name": {"type": "choice", "values": ["sgd", "adamw", "rmsprop"]},
                            "optimizer.momentum": {"type": "uniform", "low": 0.5, "high": 0.9,
                                                   "when": {"optimizer.name": ["sgd", "rmsprop"]}},
                            "optimizer.nesterov": {"type": "choice", "values": [true, false],
                                                   "when": {"optimizer.name": "sgd"}}})"),
            baseConfig());
        QVERIFY2(space, space ? "" : space.error().toString().c_str());
        const Dimension &momentum = *space->find("optimizer.momentum");
        const Dimension &nesterov = *space->find("optimizer.nesterov");
        QVERIFY(isActive(momentum, {{"optimizer.name", "sgd"}}));
        QVERIFY(isActive(momentum, {{"optimizer.name", "rmsprop"}}));
        QVERIFY(!isActive(momentum, {{"optimizer.name", "adamw"}}));
        QVERIFY(!isActive(momentum, {}));
        QVERIFY(isActive(nesterov, {{"optimizer.name", "sgd"}}));
        QVERIFY(!isActive(nesterov, {{"optimizer.name", "rmsprop"}}));
    }

    // The grid: the product of each key's values, the last key fastest, an inactive key left
    // out and the points that then coincide listed once.
    void gridPointsWithCondition()
    {
        const auto space = parseSearchSpace(
            json::parse(R"({"optimizer.name": {"type": "choice", "values": ["sgd", "adamw"]},
                            "optimizer.momentum": {"type": "uniform", "low": 0.5, "high": 0.9,
                                "grid": 3, "when": {"optimizer.name": "sgd"}}})"),
            baseConfig());
        QVERIFY(space);
        const auto points = gridPoints(*space);
        QVERIFY(points);
        const std::vector<Params> expected{{{"optimizer.name", "sgd"}, {"optimizer.momentum", 0.5}},
                                           {{"optimizer.name", "sgd"}, {"optimizer.momentum", 0.7}},
                                           {{"optimizer.name", "sgd"}, {"optimizer.momentum", 0.9}},
                                           {{"optimizer.name", "adamw"}}};
        QCOMPARE(points->size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(points->at(i).size(), expected[i].size());
            for (const auto &[key, value] : expected[i])
                QVERIFY2(sameValue(points->at(i).at(key), value), key.c_str());
        }
    }

    void logGridIsEvenInLogSpace()
    {
        const auto space = parseSearchSpace(
            json::parse(R"({"optimizer.lr": {"type": "log_uniform", "low": 0.0001, "high": 0.1,
                                             "grid": 4}})"),
            baseConfig());
        QVERIFY(space);
        const Dimension &lr = space->dimensions[0];
        QCOMPARE(lr.gridValue(0).get<double>(), 1e-4);
        QVERIFY(qAbs(lr.gridValue(1).get<double>() - 1e-3) < 1e-15);
        QVERIFY(qAbs(lr.gridValue(2).get<double>() - 1e-2) < 1e-14);
        QCOMPARE(lr.gridValue(3).get<double>(), 0.1);
    }

    void spaceRoundTrips()
    {
        const auto spec = loadSweepSpec(LATHE_TEST_RESOURCES "/sweeps/fashion-cnn-lr.json");
        QVERIFY(spec);
        const auto again = parseSearchSpace(toJson(spec->space), spec->base);
        QVERIFY(again);
        QVERIFY(*again == spec->space);
    }
};

LATHE_TEST_GUILESS_MAIN(TestSearchSpace)
#include "tst_search_space.moc"
