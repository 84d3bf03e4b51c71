// Training through the registry's extension points: the config's metrics are computed at every
// evaluation and recorded like the built-in metrics, augment.extra is applied, a dataset is read
// by its registered reader, and a bad metric or augmentation option refuses the run with a
// message naming the list entry.
#include "core/data/fashion_mnist.h"
#include "core/track/run_store.h"
#include "core/train/trainer.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <stb/stb_image_write.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>

using namespace lathe;
namespace fs = std::filesystem;

namespace {

train::RunConfig mlpConfig()
{
    auto config = testing::tinyConfig(600, 2, "mlp", {32});
    config.augment.enabled = false;
    config.histograms.every = 0;
    return config;
}

double last(track::RunStore &store, std::int64_t run, const std::string &key)
{
    auto value = store.lastMetric(run, key);
    if (!value || !*value)
        qFatal("no metric %s", key.c_str());
    return **value;
}

} // namespace

class TestTrainerExtensions : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void metricsAreRecordedAtEveryEvaluation()
    {
        auto config = mlpConfig();
        config.metrics = {{"per-class-accuracy", {}}, {"macro-f1", {}}};
        const fs::path db = fs::path(m_dir.path().toStdString()) / "metrics.db";
        const auto run = testing::trainRun(db, config, "metrics");
        auto store = track::RunStore::open(db);
        QVERIFY_OK(store);
        auto keys = (*store)->metricKeys(run);
        QVERIFY_OK(keys);
        const auto &classes = data::fashionMnistClassNames();
        for (const auto *split : {"val", "test"}) {
            // One value per class, at each evaluation: weighting the per-class accuracies by the
            // class counts gives back the split's accuracy, which the trainer counts itself.
            const std::string prefix = std::string(split) + "/per-class-accuracy/";
            auto series = (*store)->metricSeries(run, prefix + classes[0]);
            QVERIFY_OK(series);
            QCOMPARE(series->size(), std::size_t(split == std::string("val") ? 2 : 1));
            for (const auto &name : classes) {
                QVERIFY2(std::ranges::find(*keys, prefix + name) != keys->end(), name.c_str());
                const double v = last(**store, run, prefix + name);
                QVERIFY(v >= 0.0 && v <= 1.0);
            }
            const double f1 = last(**store, run, std::string(split) + "/macro-f1");
            QVERIFY(f1 > 0.2 && f1 <= 1.0);
        }
        // The test split's class counts, to weight its per-class accuracies.
        auto data = train::loadTrainData(config.data);
        QVERIFY_OK(data);
        const torch::Tensor counts = torch::bincount(data->test->labels(), {}, 10);
        double weighted = 0.0;
        for (std::size_t c = 0; c < classes.size(); ++c)
            weighted += counts[std::int64_t(c)].item<double>()
                        * last(**store, run, "test/per-class-accuracy/" + classes[c]);
        QVERIFY(
            std::abs(weighted / double(data->test->size()) - last(**store, run, "test/accuracy"))
            < 1e-9);
    }

    void badExtensionOptionsRefuseTheRun_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("message");
        QTest::newRow("metric option")
            << R"({"metrics": [{"name": "macro-f1"}, {"name": "per-class-accuracy", "top": 5}]})"
            << "metrics[1]"
            << "metric per-class-accuracy: unknown option \"top\"; it takes none";
        QTest::newRow("augmentation option")
            << R"({"augment": {"enabled": true, "extra": [{"name": "erase", "prob": 2}]}})"
            << "augment.extra[0]"
            << "option prob = \"2\" must be a number in [0, 1]";
    }
    void badExtensionOptionsRefuseTheRun()
    {
        QFETCH(QString, json);
        QFETCH(QString, context);
        QFETCH(QString, message);
        auto raw = mlpConfig().toJson();
        raw.merge_patch(nlohmann::json::parse(json.toStdString()));
        auto config = train::RunConfig::fromJson(raw);
        QVERIFY_OK(config); // names are valid: the options are the reader's business
        auto data = train::loadTrainData(config->data);
        QVERIFY_OK(data);
        auto trainer = train::Trainer::create(*config, *data, {});
        QVERIFY(!trainer);
        QCOMPARE(QString::fromStdString(trainer.error().context), context);
        QVERIFY2(QString::fromStdString(trainer.error().message).contains(message),
                 trainer.error().message.c_str());
    }

    void extraAugmentationsTrain()
    {
        auto config = mlpConfig();
        config.training.epochs = 1;
        config.augment.enabled = true;
        config.augment.extra = {{"erase", {{"prob", "1"}}}, {"affine", {{"rotate_deg", "15"}}}};
        auto data = train::loadTrainData(config.data);
        QVERIFY_OK(data);
        auto trainer = train::Trainer::create(config, *data, {});
        QVERIFY_OK(trainer);
        auto outcome = (*trainer)->run();
        QVERIFY_OK(outcome);
        QCOMPARE(*outcome, train::TrainOutcome::Finished);
        auto eval = (*trainer)->evaluateTest();
        QVERIFY_OK(eval);
        QVERIFY(eval->accuracy > 0.3); // erasing every image still leaves something to learn
    }

    void aDatasetIsReadByItsRegisteredReader()
    {
        const fs::path root = fs::path(m_dir.path().toStdString()) / "folder";
        for (int c = 0; c < 2; ++c)
            for (int i = 0; i < 4; ++i) {
                const fs::path dir = root / (c ? "dog" : "cat");
                fs::create_directories(dir);
                std::vector<std::uint8_t> pixels(10 * 10, std::uint8_t(100 * c + i));
                QVERIFY(stbi_write_png((dir / (std::to_string(i) + ".png")).c_str(), 10, 10, 1,
                                       pixels.data(), 10));
            }
        train::DataConfig config;
        config.dataset = "image-folder";
        config.path = root;
        config.options = {{"width", "8"}, {"height", "8"}};
        config.subset = 5;
        auto data = train::loadTrainData(config);
        QVERIFY_OK(data);
        QVERIFY(!data->test);                           // an image folder has no test split
        QCOMPARE(data->train->size(), std::int64_t(5)); // cut to data.subset
        QCOMPARE(data->train->sampleShape(), (std::vector<std::int64_t>{1, 8, 8}));
        QCOMPARE(data->train->classNames(), (std::vector<std::string>{"cat", "dog"}));
        config.options = {{"depth", "3"}};
        auto bad = train::loadTrainData(config);
        QVERIFY(!bad);
        QVERIFY(QString::fromStdString(bad.error().message).contains("unknown option \"depth\""));
        config.dataset = "no-such-reader";
        auto unknown = train::loadTrainData(config);
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().context, std::string("data.dataset"));
    }
};

LATHE_TEST_GUILESS_MAIN(TestTrainerExtensions)
#include "tst_trainer_extensions.moc"
