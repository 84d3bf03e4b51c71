// The registry of extension points: built-ins listed like plugin entries, a plugin's entries
// added all together or not at all, and a plugin's failures turned into errors naming it.
#include "core/plugin/registry.h"

#include "core/model/net.h"
#include "core/model/zoo.h"

#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <stdexcept>

using namespace lathe::plugin;
namespace sdk = lathe::sdk;

namespace {

ScheduleEntry pluginSchedule(const std::string &name)
{
    return {name,
            {"gamma"},
            "test",
            [](const sdk::ScheduleArgs &a) { return [a](std::int64_t) { return a.baseLr; }; },
            "test-plugin"};
}

Additions schedules(std::vector<ScheduleEntry> entries)
{
    Additions a;
    a.schedules = std::move(entries);
    return a;
}

bool mentions(const lathe::Error &error, const std::string &text)
{
    return error.message.find(text) != std::string::npos;
}

} // namespace

class TestRegistry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void builtInSchedulesAreListedWithTheirKeys()
    {
        Registry registry;
        const auto names = registry.names(Kind::Schedule);
        QCOMPARE(names.front(), std::string("constant"));
        QCOMPARE(names.size(), std::size_t(8));
        for (const auto &name : names) {
            const auto entry = registry.schedule(name);
            QVERIFY(entry.has_value());
            QCOMPARE(entry->source, std::string(kBuiltIn));
            QVERIFY(!entry->factory); // core/train computes the built-ins
            QVERIFY(!entry->description.empty());
        }
        QCOMPARE(registry.schedule("warmup-cosine")->keys,
                 (std::vector<std::string>{"warmup_epochs", "min_lr"}));
        QVERIFY(!registry.schedule("no-such-schedule"));
    }

    void everyKindHasBuiltIns()
    {
        Registry registry;
        for (Kind kind : allKinds()) {
            const auto names = registry.names(kind);
            if (kind == Kind::Panel) {
                QVERIFY(names.empty()); // the window's own panels are not extension entries
                continue;
            }
            QVERIFY2(!names.empty(), toString(kind));
            for (const auto &name : names)
                QCOMPARE(registry.source(kind, name), std::string(kBuiltIn));
        }
        QCOMPARE(registry.names(Kind::Model),
                 (std::vector<std::string>{"mlp", "cnn", "cnn-gn", "cnn-tanh", "cnn-gn-tanh",
                                           "resnet-mini", "vit-tiny"}));
        QCOMPARE(registry.names(Kind::Dataset),
                 (std::vector<std::string>{"fashion-mnist", "idx", "image-folder"}));
        QCOMPARE(registry.source(Kind::Model, "no-such-model"), std::string());
    }

    // The zoo's one table gives the registry its model names and descriptions.
    void theBuiltInModelsAreTheZoo()
    {
        Registry registry;
        QCOMPARE(registry.names(Kind::Model), lathe::model::architectureNames());
        for (const auto &architecture : lathe::model::architectures())
            QCOMPARE(registry.model(architecture.name)->description, architecture.description);
    }

    // Every lookup by name says the same thing when the name does not exist.
    void anUnknownNameListsTheKnownOnes()
    {
        Registry registry;
        const lathe::Error error = registry.unknownName(Kind::Model, "resnet-9000", "model.arch");
        QCOMPARE(error.code, lathe::ErrorCode::InvalidArgument);
        QCOMPARE(error.context, std::string("model.arch"));
        QCOMPARE(error.message, std::string("unknown model \"resnet-9000\"; available: mlp, cnn, "
                                            "cnn-gn, cnn-tanh, cnn-gn-tanh, resnet-mini, "
                                            "vit-tiny"));
        lathe::model::ModelSpec spec;
        spec.arch = "resnet-9000";
        const auto net = buildModel(spec, {1, 8, 8}, 2); // the process-wide registry
        QVERIFY(!net);
        QCOMPARE(net.error().context, std::string("model.arch"));
        QVERIFY(net.error().message.starts_with("unknown model \"resnet-9000\"; available: mlp"));
    }

    void aPluginsEntriesComeAfterTheBuiltIns()
    {
        Registry registry;
        QVERIFY(!registry.add(schedules({pluginSchedule("a"), pluginSchedule("b")})));
        const auto names = registry.names(Kind::Schedule);
        QCOMPARE(names.size(), std::size_t(10));
        QCOMPARE(names[8], std::string("a"));
        QCOMPARE(names[9], std::string("b"));
        QCOMPARE(registry.schedule("b")->source, std::string("test-plugin"));
        QCOMPARE(registry.schedule("b")->factory({0.5, 1, 1})(3), 0.5);
    }

    void aClashAddsNothing()
    {
        Registry registry;
        // One new name and one built-in: the clash is reported and neither is added.
        const auto clash
            = registry.add(schedules({pluginSchedule("fresh"), pluginSchedule("cosine")}));
        QVERIFY(clash);
        QCOMPARE(clash->kind, Kind::Schedule);
        QCOMPARE(clash->name, std::string("cosine"));
        QCOMPARE(clash->owner, std::string(kBuiltIn));
        QVERIFY(!registry.schedule("fresh"));
        // The same name twice within one plugin.
        const auto twice
            = registry.add(schedules({pluginSchedule("twice"), pluginSchedule("twice")}));
        QVERIFY(twice);
        QCOMPARE(twice->owner, std::string());
        QVERIFY(!registry.schedule("twice"));
        QCOMPARE(registry.names(Kind::Schedule).size(), std::size_t(8));
    }

    void aClashInOneKindKeepsTheOtherKindsOut()
    {
        Registry registry;
        Additions a = schedules({pluginSchedule("fine")});
        a.models.push_back(wrapModel(
            "cnn", "clashes with the zoo",
            [](const sdk::ModelArgs &) { return std::vector<sdk::ModelStage>{}; }, "test-plugin"));
        const auto clash = registry.add(std::move(a));
        QVERIFY(clash);
        QCOMPARE(clash->kind, Kind::Model);
        QVERIFY(!registry.schedule("fine"));
        // A name may repeat across kinds: a model called like a schedule is fine.
        Additions b;
        b.models.push_back(wrapModel(
            "cosine", "a model",
            [](const sdk::ModelArgs &) { return std::vector<sdk::ModelStage>{}; }, "test-plugin"));
        QVERIFY(!registry.add(std::move(b)));
        QCOMPARE(registry.source(Kind::Model, "cosine"), std::string("test-plugin"));
    }

    void aThrowingDatasetReaderBecomesAnErrorNamingThePlugin()
    {
        const auto entry = wrapDataset(
            "bad", "",
            [](const sdk::DatasetArgs &a) -> sdk::DatasetSplits {
                throw std::runtime_error(a.path + ": row 3, column x: missing value");
            },
            "my-plugin");
        const auto read = entry.read({"/tmp/f.csv", {}});
        QVERIFY(!read);
        QVERIFY(mentions(read.error(), "dataset reader \"bad\" (plugin my-plugin)"));
        QVERIFY(mentions(read.error(), "/tmp/f.csv: row 3, column x: missing value"));
        const auto none
            = wrapDataset(
                  "empty", "", [](const sdk::DatasetArgs &) { return sdk::DatasetSplits{}; },
                  "my-plugin")
                  .read({});
        QVERIFY(!none);
        QVERIFY(mentions(none.error(), "no training data"));
    }

    void aPluginModelIsANetOfItsStages()
    {
        const auto entry = wrapModel(
            "two-layer", "",
            [](const sdk::ModelArgs &a) {
                const auto in = a.inputShape[0] * a.inputShape[1] * a.inputShape[2];
                return std::vector<sdk::ModelStage>{
                    {"flatten", std::make_shared<torch::nn::AnyModule>(torch::nn::Flatten())},
                    {"head",
                     std::make_shared<torch::nn::AnyModule>(torch::nn::Linear(in, a.numClasses))},
                };
            },
            "my-plugin");
        auto net = entry.build({"two-layer", {}, 0.0}, {3, 1, 1}, 4);
        QVERIFY_OK(net);
        QCOMPARE((*net)->stageNames(), (std::vector<std::string>{"flatten", "head"}));
        QCOMPARE((*net)->parameterCount(), std::int64_t(3 * 4 + 4));
        lathe::model::Taps taps;
        taps.wanted = {"flatten"};
        const auto out = (*net)->forward(torch::ones({2, 3, 1, 1}), &taps);
        QCOMPARE(out.sizes(), (torch::IntArrayRef{2, 4}));
        QCOMPARE(taps.outputs.at("flatten").sizes(), (torch::IntArrayRef{2, 3}));
    }

    void aBrokenPluginModelIsRefused_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("message");
        QTest::newRow("throws") << 0 << "model.widths must not be empty";
        QTest::newRow("no stages") << 1 << "has no stages";
        QTest::newRow("duplicate stage") << 2 << "stage names must be unique";
        QTest::newRow("empty module") << 3 << "has no module";
    }

    void aBrokenPluginModelIsRefused()
    {
        QFETCH(int, which);
        QFETCH(QString, message);
        const auto entry = wrapModel(
            "broken", "",
            [which](const sdk::ModelArgs &) {
                auto linear = [] {
                    return std::make_shared<torch::nn::AnyModule>(torch::nn::Linear(1, 1));
                };
                switch (which) {
                case 0: throw std::invalid_argument("model.widths must not be empty");
                case 1: return std::vector<sdk::ModelStage>{};
                case 2: return std::vector<sdk::ModelStage>{{"a", linear()}, {"a", linear()}};
                default: return std::vector<sdk::ModelStage>{{"a", nullptr}};
                }
            },
            "my-plugin");
        const auto net = entry.build({"broken", {}, 0.0}, {1, 1, 1}, 1);
        QVERIFY(!net);
        QVERIFY2(mentions(net.error(), message.toStdString()), net.error().message.c_str());
        QVERIFY(mentions(net.error(), "model \"broken\" (plugin my-plugin)"));
    }

    void aMetricThatThrowsFailsOnlyThatEvaluation()
    {
        const auto entry = wrapMetric(
            "flaky", "",
            [](const sdk::MetricArgs &args) {
                if (args.options.count("bad"))
                    throw std::invalid_argument("option bad is not allowed");
                return sdk::MetricFunction([](const sdk::MetricInput &in) -> sdk::MetricValues {
                    if (in.split == "test")
                        throw std::runtime_error("no test today");
                    return {{"n", double(in.labels->numel())}};
                });
            },
            "my-plugin");
        QVERIFY(!entry.setUp({{{"bad", "1"}}, nullptr, {}}));
        auto compute = entry.setUp({});
        QVERIFY_OK(compute);
        const torch::Tensor logits = torch::zeros({5, 2}), labels = torch::zeros({5}, torch::kLong);
        const torch::Tensor indices = torch::arange(5);
        sdk::MetricInput input{&logits, &labels, &indices, nullptr, "val"};
        const auto values = (*compute)(input);
        QVERIFY_OK(values);
        QCOMPARE(values->at(0).second, 5.0);
        input.split = "test";
        const auto failed = (*compute)(input);
        QVERIFY(!failed);
        QVERIFY(mentions(failed.error(), "metric \"flaky\" (plugin my-plugin): no test today"));
    }

    void anAugmentationMustKeepTheShape()
    {
        const auto entry = wrapAugmentation(
            "shrink", "",
            [](const sdk::Options &) {
                return sdk::AugmentFunction(
                    [](const at::Tensor &batch, std::uint64_t) { return batch.narrow(2, 0, 1); });
            },
            "my-plugin");
        auto apply = entry.setUp({});
        QVERIFY_OK(apply);
        const auto out = (*apply)(torch::zeros({2, 1, 4, 4}), 7);
        QVERIFY(!out);
        QVERIFY(mentions(out.error(), "changed the batch's shape"));
    }
};

LATHE_TEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
