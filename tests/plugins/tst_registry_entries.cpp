// Every registered dataset reader, model, metric and augmentation, built in or from a sample
// plugin, passes the same checks (schedules have theirs in tst_schedule_plugin). A new entry is
// tested here for free: models, metrics and augmentations with their default settings, dataset
// readers with the sample input listed in datasetArgs() (a reader without one fails the test,
// so a new reader cannot go untested).
#include "core/data/dataset.h"
#include "core/model/net.h"
#include "core/plugin/loader.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <stb/stb_image_write.h>

#include <torch/torch.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <set>

using namespace lathe;
using plugin::Kind;
using plugin::registry;
namespace fs = std::filesystem;

namespace {

const char *kWine = "/usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv";

// A 2-class folder of 8x6 grey PNGs under `root`.
void writeImageFolder(const fs::path &root)
{
    for (int c = 0; c < 2; ++c) {
        const fs::path dir = root / ("class" + std::to_string(c));
        fs::create_directories(dir);
        for (int i = 0; i < 3; ++i) {
            std::vector<std::uint8_t> pixels(8 * 6, std::uint8_t(40 * c + 10 * i));
            const auto file = dir / (std::to_string(i) + ".png");
            QVERIFY(stbi_write_png(file.c_str(), 8, 6, 1, pixels.data(), 8) != 0);
        }
    }
}

// Options a metric needs to be set up on `dataset` (fairness needs a column to group by).
sdk::Options metricOptions(const std::string &name, const data::Dataset &dataset)
{
    if (name == "fairness" && !dataset.attributeNames().empty())
        return {{"column", dataset.attributeNames().front()}};
    return {};
}

std::vector<std::string> names(Kind kind)
{
    return registry().names(kind);
}

void addRows(Kind kind)
{
    QTest::addColumn<QString>("name");
    for (const auto &name : names(kind))
        QTest::newRow(name.c_str()) << QString::fromStdString(name);
}

} // namespace

class TestRegistryEntries : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::map<std::string, sdk::DatasetArgs> m_datasetArgs;
    std::shared_ptr<const data::Dataset> m_wine;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        for (const auto &record : plugin::loadPlugins({LATHE_TEST_PLUGIN_DIR}))
            QVERIFY2(record.status == plugin::PluginRecord::Status::Loaded, record.message.c_str());
        // The sample plugins' entries are among those tested below.
        QCOMPARE(registry().source(Kind::Dataset, "csv"), std::string("csv-tabular"));
        QCOMPARE(registry().source(Kind::Model, "tabular-mlp"), std::string("csv-tabular"));
        QCOMPARE(registry().source(Kind::Metric, "fairness"), std::string("fairness"));
        const fs::path images = fs::path(m_dir.path().toStdString()) / "images";
        writeImageFolder(images);
        m_datasetArgs = {
            {"fashion-mnist", {LATHE_TEST_FASHION_DIR, {}}},
            {"image-folder", {images, {}}},
            {"idx",
             {LATHE_TEST_FASHION_DIR "/t10k-images-idx3-ubyte.gz",
              {{"labels", LATHE_TEST_FASHION_DIR "/t10k-labels-idx1-ubyte.gz"}}}},
            {"csv", {kWine, {{"header", "sklearn"}}}},
        };
        auto wine = registry().dataset("csv")->read(m_datasetArgs.at("csv"));
        QVERIFY_OK(wine);
        m_wine = wine->train;
    }

    void everyDatasetReader_data() { addRows(Kind::Dataset); }
    void everyDatasetReader()
    {
        QFETCH(QString, name);
        const auto args = m_datasetArgs.find(name.toStdString());
        QVERIFY2(args != m_datasetArgs.end(), "give this reader a sample input in initTestCase");
        auto splits = registry().dataset(name.toStdString())->read(args->second);
        QVERIFY_OK(splits);
        for (const auto &dataset : {splits->train, splits->test}) {
            if (!dataset)
                continue;
            const auto n = dataset->size();
            QVERIFY(n > 0);
            const auto shape = dataset->sampleShape();
            QCOMPARE(shape.size(), std::size_t(3));
            const auto classes = std::int64_t(dataset->classNames().size());
            QVERIFY(classes >= 2);
            const torch::Tensor labels = dataset->labels();
            QCOMPARE(labels.scalar_type(), torch::kLong);
            QCOMPARE(labels.size(0), n);
            QVERIFY(labels.min().item<std::int64_t>() >= 0);
            QVERIFY(labels.max().item<std::int64_t>() < classes);
            const torch::Tensor picked = torch::tensor({std::int64_t(0), n - 1});
            const torch::Tensor x = dataset->images(picked);
            QCOMPARE(x.scalar_type(), torch::kFloat);
            QCOMPARE(x.sizes(), (torch::IntArrayRef{2, shape[0], shape[1], shape[2]}));
            QVERIFY(torch::isfinite(x).all().item<bool>());
            QVERIFY(!dataset->description().empty());
            for (const auto &attribute : dataset->attributeNames())
                QCOMPARE(dataset->attribute(attribute).size(0), n);
            QVERIFY(!dataset->attribute("no such attribute").defined());
        }
    }

    void everyModel_data() { addRows(Kind::Model); }
    void everyModel()
    {
        QFETCH(QString, name);
        torch::manual_seed(3);
        auto net = plugin::buildModel({name.toStdString(), {}, 0.0}, {1, 28, 28}, 10);
        QVERIFY_OK(net);
        const auto stages = (*net)->stageNames();
        QVERIFY(!stages.empty());
        QCOMPARE(std::set<std::string>(stages.begin(), stages.end()).size(), stages.size());
        model::Taps taps;
        taps.all = true;
        const torch::Tensor out = (*net)->forward(torch::randn({4, 1, 28, 28}), &taps);
        QCOMPARE(out.sizes(), (torch::IntArrayRef{4, 10}));
        QCOMPARE(taps.outputs.size(), stages.size()); // every stage's output can be tapped
        torch::nn::functional::cross_entropy(out, torch::tensor({0, 1, 2, 3})).backward();
        for (const auto &p : (*net)->named_parameters())
            QVERIFY2(p.value().grad().defined(), p.key().c_str());
        // The same seed builds the same weights.
        torch::manual_seed(3);
        auto again = plugin::buildModel({name.toStdString(), {}, 0.0}, {1, 28, 28}, 10);
        QVERIFY_OK(again);
        const auto a = (*net)->parameters(), b = (*again)->parameters();
        QCOMPARE(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i)
            QVERIFY(torch::equal(a[i], b[i]));
    }

    void everyMetric_data() { addRows(Kind::Metric); }
    void everyMetric()
    {
        QFETCH(QString, name);
        const auto entry = registry().metric(name.toStdString());
        QVERIFY(entry);
        const data::Dataset &dataset = *m_wine;
        auto compute
            = entry->setUp({metricOptions(entry->name, dataset), &dataset, dataset.classNames()});
        QVERIFY_OK(compute);
        torch::manual_seed(5);
        const auto n = dataset.size();
        const torch::Tensor labels = dataset.labels();
        const torch::Tensor indices = torch::arange(n);
        // Perfect predictions, then random ones: finite values, unique names, same names.
        const torch::Tensor perfect = torch::one_hot(labels, 3).to(torch::kFloat);
        const torch::Tensor random = torch::randn({n, 3});
        std::vector<std::string> firstNames;
        for (const auto *logits : {&perfect, &random}) {
            auto values = (*compute)({logits, &labels, &indices, &dataset, "val"});
            QVERIFY_OK(values);
            QVERIFY(!values->empty());
            std::vector<std::string> seen;
            for (const auto &[key, value] : *values) {
                QVERIFY2(std::isfinite(value), key.c_str());
                seen.push_back(key);
            }
            QCOMPARE(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
            if (firstNames.empty())
                firstNames = seen;
            else
                QCOMPARE(seen, firstNames);
        }
        // An empty evaluation gives no values rather than NaN.
        const torch::Tensor none = torch::empty({0}, torch::kLong), noLogits = torch::empty({0, 3});
        auto empty = (*compute)({&noLogits, &none, &none, &dataset, "val"});
        QVERIFY_OK(empty);
        for (const auto &[key, value] : *empty)
            QVERIFY2(std::isfinite(value), key.c_str());
    }

    void everyAugmentation_data() { addRows(Kind::Augmentation); }
    void everyAugmentation()
    {
        QFETCH(QString, name);
        auto apply = registry().augmentation(name.toStdString())->setUp({});
        QVERIFY_OK(apply);
        torch::manual_seed(9);
        const torch::Tensor batch = torch::rand({16, 1, 28, 28});
        const torch::Tensor copy = batch.clone();
        auto a = (*apply)(batch, 1), b = (*apply)(batch, 1);
        QVERIFY_OK(a);
        QVERIFY_OK(b);
        QVERIFY(torch::equal(batch, copy)); // the input is left alone
        QCOMPARE(a->sizes(), batch.sizes());
        QVERIFY(torch::isfinite(*a).all().item<bool>());
        QVERIFY(torch::equal(*a, *b)); // deterministic per seed
        bool changed = false;
        for (std::uint64_t seed = 1; seed < 6 && !changed; ++seed) {
            auto out = (*apply)(batch, seed);
            QVERIFY_OK(out);
            changed = !torch::equal(*out, batch);
        }
        QVERIFY2(changed, "its default settings never change a batch");
        QVERIFY(!registry().augmentation(name.toStdString())->setUp({{"no_such_option", "1"}}));
    }
};

LATHE_TEST_GUILESS_MAIN(TestRegistryEntries)
#include "tst_registry_entries.moc"
