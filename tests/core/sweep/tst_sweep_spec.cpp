#include "core/sweep/sweep_spec.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace lathe::sweep;
using nlohmann::json;

namespace {

/// A valid spec with an inline base; rows patch one field of it (a null removes the field).
json validSpec()
{
    return json::parse(R"({
        "name": "quick",
        "base": {"optimizer": {"name": "adamw", "lr": 0.003, "momentum": 0.9},
                 "training": {"batch_size": 128}},
        "space": {"optimizer.lr": {"type": "log_uniform", "low": 0.0001, "high": 0.1}},
        "objective": {"metric": "val/accuracy", "direction": "maximize"},
        "trials": 20})");
}

} // namespace

class TestSweepSpec : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaults()
    {
        const auto spec = parseSweepSpec(validSpec(), ".");
        QVERIFY2(spec, spec ? "" : spec.error().toString().c_str());
        QCOMPARE(spec->name, std::string("quick"));
        QVERIFY(spec->basePath.empty());
        QCOMPARE(spec->objective.use, Objective::Use::Best);
        QCOMPARE(spec->sampler.name, SamplerSpec::Name::Tpe);
        QCOMPARE(spec->sampler.seed, std::uint64_t(0));
        QCOMPARE(spec->sampler.startupTrials, 10);
        QCOMPARE(spec->sampler.candidates, 24);
        QCOMPARE(spec->pruner.name, PrunerSpec::Name::None);
        QCOMPARE(spec->pruner.reductionFactor, 3);
        QCOMPARE(spec->pruner.resource, PrunerSpec::Resource::Epochs);
        QCOMPARE(spec->trials, 20);
        QCOMPARE(spec->workers, 0);
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("patch"); // merged into validSpec(); null removes a field
        QTest::addColumn<QString>("error");
        QTest::newRow("unknown top-level field")
            << R"({"trails": 5})"
            << R"(trails: unknown field "trails"; has: name, base, space, objective, sampler, )"
               R"(pruner, trials, workers; did you mean "trials"?)";
        QTest::newRow("no trials") << R"({"trials": null})"
                                   << "trials: missing; a spec needs base, space, objective and "
                                      "trials";
        QTest::newRow("zero trials") << R"({"trials": 0})"
                                     << "trials: value 0 is not an integer in [1, 1000000]";
        QTest::newRow("negative workers") << R"({"workers": -1})"
                                          << "workers: value -1 is not an integer in [0, 1024]";
        QTest::newRow("empty name") << R"({"name": ""})"
                                    << R"(name: expected a non-empty string, got "")";
        QTest::newRow("base of the wrong type")
            << R"({"base": 3})"
            << "base: expected the path of a run config (from the spec's folder) or a config "
               "object, got 3";
        QTest::newRow("no objective metric")
            << R"({"objective": {"metric": null}})"
            << R"(objective.metric: expected the name of a metric the runs record, such as )"
               R"("val/accuracy" or "val/loss")";
        QTest::newRow("no direction")
            << R"({"objective": {"direction": null}})"
            << R"(objective.direction: missing; expected "maximize" or "minimize")";
        QTest::newRow("bad direction")
            << R"({"objective": {"metric": "val/loss", "direction": "down"}})"
            << R"(objective.direction: value "down" is not one of: minimize, maximize)";
        QTest::newRow("bad use")
            << R"({"objective": {"metric": "val/loss", "direction": "minimize", "use": "mean"}})"
            << R"(objective.use: value "mean" is not one of: best, last)";
        QTest::newRow("unknown sampler") << R"({"sampler": {"name": "cmaes"}})"
                                         << R"(sampler.name: value "cmaes" is not one of: )"
                                            R"(random, grid, tpe)";
        QTest::newRow("negative seed") << R"({"sampler": {"name": "random", "seed": -1}})"
                                       << "sampler.seed: value -1 is not an integer >= 0";
        QTest::newRow("tpe field on random")
            << R"({"sampler": {"name": "random", "candidates": 10}})"
            << R"(sampler.candidates: unknown field "candidates" for the random sampler; )"
               R"(sampler has: name, seed)";
        QTest::newRow("zero candidates") << R"({"sampler": {"name": "tpe", "candidates": 0}})"
                                         << "sampler.candidates: value 0 is not an integer in "
                                            "[1, 10000]";
        QTest::newRow("grid over a range without grid points")
            << R"({"sampler": {"name": "grid"}})"
            << R"(space."optimizer.lr": the grid sampler needs a "grid" count of points for a )"
               R"(log_uniform key)";
        QTest::newRow("pruner without name") << R"({"pruner": {}})"
                                             << "pruner.name: missing; expected one of: none, "
                                                "median, asha";
        QTest::newRow("unknown pruner") << R"({"pruner": {"name": "hyperband"}})"
                                        << R"(pruner.name: value "hyperband" is not one of: )"
                                           R"(none, median, asha)";
        QTest::newRow("asha field on median")
            << R"({"pruner": {"name": "median", "reduction_factor": 3}})"
            << R"(pruner.reduction_factor: unknown field "reduction_factor" for the median )"
               R"(pruner; pruner has: name, startup_trials, warmup_steps, resource)";
        QTest::newRow("reduction factor 1")
            << R"({"pruner": {"name": "asha", "reduction_factor": 1}})"
            << "pruner.reduction_factor: value 1 is not an integer in [2, 1000]";
        QTest::newRow("min resource 0") << R"({"pruner": {"name": "asha", "min_resource": 0}})"
                                        << "pruner.min_resource: value 0 is not an integer >= 1";
        QTest::newRow("bad resource unit")
            << R"({"pruner": {"name": "asha", "resource": "batches"}})"
            << R"(pruner.resource: value "batches" is not one of: epochs, steps)";
        QTest::newRow("negative warmup") << R"({"pruner": {"name": "median", "warmup_steps": -1}})"
                                         << "pruner.warmup_steps: value -1 is not an integer >= 0";
        QTest::newRow("space error") << R"({"space": {"optimizer.lr": {"type": "uniform",
                                                      "low": 0.1, "high": 0.01}}})"
                                     << R"(space."optimizer.lr": low 0.1 is above high 0.01)";
    }
    void badInput()
    {
        QFETCH(QString, patch);
        QFETCH(QString, error);
        json spec = validSpec();
        spec.merge_patch(json::parse(patch.toStdString()));
        const auto parsed = parseSweepSpec(spec, ".");
        QVERIFY(!parsed);
        QCOMPARE(QString::fromStdString(parsed.error().toString()), error);
    }

    void syntaxErrorNamesLineAndColumn()
    {
        const auto spec = parseSweepSpecText("{\n  \"name\": \"x\",\n  \"trials\": ,\n}", ".");
        QVERIFY(!spec);
        QCOMPARE(spec.error().code, lathe::ErrorCode::BadInput);
        QCOMPARE(spec.error().context, std::string("line 3, column 13"));
        QVERIFY(spec.error().message.starts_with("the spec is not valid JSON: syntax error"));
    }

    void duplicateKeyOutsideTheSpace()
    {
        const auto spec
            = parseSweepSpecText(R"({"sampler": {"name": "random", "seed": 1, "seed": 2}})", ".");
        QVERIFY(!spec);
        QCOMPARE(QString::fromStdString(spec.error().toString()),
                 QStringLiteral("sampler.seed: given twice"));
    }

    void missingBaseFileNamesIt()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("sweep.json").toStdString();
        json spec = validSpec();
        spec["base"] = "configs/none.json";
        std::ofstream(path) << spec.dump();
        const auto loaded = loadSweepSpec(path);
        QVERIFY(!loaded);
        QCOMPARE(loaded.error().code, lathe::ErrorCode::Io);
        QCOMPARE(QString::fromStdString(loaded.error().toString()),
                 QString::fromStdString(path + ": base: "
                                        + dir.filePath("configs/none.json").toStdString()
                                        + ": the base config: cannot open the file"));
    }

    // Without a name the file's stem names the sweep.
    void nameDefaultsToFileStem()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("lr-search.json").toStdString();
        json spec = validSpec();
        spec.erase("name");
        std::ofstream(path) << spec.dump();
        const auto loaded = loadSweepSpec(path);
        QVERIFY(loaded);
        QCOMPARE(loaded->name, std::string("lr-search"));
    }

    // The hooks for the layer that knows run configs: the base is prepared first, and each
    // key's extremes go through the config check, naming the key.
    void hooks()
    {
        SpecOptions options;
        options.prepareBase = [](json base) -> lathe::Result<json> {
            base["optimizer"]["weight_decay"] = 0.01; // a default filled in
            return base;
        };
        options.checkConfig = [](const json &config) -> lathe::Result<void> {
            if (config["optimizer"]["weight_decay"].get<double>() > 0.5)
                return lathe::fail(lathe::ErrorCode::InvalidArgument,
                                   "value 0.9 is out of range; expected a number in [0, 0.5]",
                                   "optimizer.weight_decay");
            return {};
        };
        json spec = validSpec();
        spec["space"]["optimizer.weight_decay"] = {{"type", "uniform"}, {"low", 0}, {"high", 0.9}};
        const auto parsed = parseSweepSpec(spec, ".", options);
        QVERIFY(!parsed);
        QCOMPARE(QString::fromStdString(parsed.error().toString()),
                 QStringLiteral(R"(space."optimizer.weight_decay": value 0.9 makes the config )"
                                R"(invalid: optimizer.weight_decay: value 0.9 is out of range; )"
                                R"(expected a number in [0, 0.5])"));
        spec["space"]["optimizer.weight_decay"]["high"] = 0.4;
        const auto ok = parseSweepSpec(spec, ".", options);
        QVERIFY(ok);
        QCOMPARE(ok->base["optimizer"]["weight_decay"].get<double>(), 0.01);
    }

    void roundTripsThroughJson()
    {
        const auto spec = loadSweepSpec(LATHE_TEST_RESOURCES "/sweeps/fashion-cnn-lr.json");
        QVERIFY(spec);
        const auto again = parseSweepSpec(toJson(*spec), "/nowhere");
        QVERIFY2(again, again ? "" : again.error().toString().c_str());
        SweepSpec expected = *spec;
        expected.basePath.clear();
        QVERIFY(*again == expected);
    }

    void objectiveValueBestOrLast()
    {
        const std::map<std::int64_t, double> series{
            {1, 0.5}, {2, 0.8}, {3, std::nan("")}, {4, 0.7}};
        QCOMPARE(
            *objectiveValue({"val/accuracy", Direction::Maximize, Objective::Use::Best}, series),
            0.8);
        QCOMPARE(*objectiveValue({"val/loss", Direction::Minimize, Objective::Use::Best}, series),
                 0.5);
        QCOMPARE(
            *objectiveValue({"val/accuracy", Direction::Maximize, Objective::Use::Last}, series),
            0.7);
        QVERIFY(!objectiveValue({"val/loss", Direction::Minimize, Objective::Use::Last}, {}));
    }
};

LATHE_TEST_GUILESS_MAIN(TestSweepSpec)
#include "tst_sweep_spec.moc"
