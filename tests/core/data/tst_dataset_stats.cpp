#include "core/data/dataset_stats.h"

#include "core/data/fashion_mnist.h"
#include "core/data/image_folder.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QtTest>

using lathe::ErrorCode;
using lathe::data::computeDatasetStats;
using lathe::data::DatasetStats;
using lathe::data::TensorDataset;

namespace {

/// Six 1x2x2 samples: 0 and 3 identical (same label), 1, 4 and 5 identical (labels differ).
std::shared_ptr<TensorDataset> handmade()
{
    const torch::Tensor a = torch::tensor({0, 10, 20, 30}, torch::kByte);
    const torch::Tensor b = torch::tensor({255, 0, 255, 0}, torch::kByte);
    const torch::Tensor c = torch::tensor({1, 2, 3, 4}, torch::kByte);
    const torch::Tensor images = torch::stack({a, b, c, a, b, b}).view({6, 1, 2, 2});
    auto created = TensorDataset::create(images, torch::tensor({0, 1, 2, 0, 1, 2}),
                                         {"zero", "one", "two", "unused"}, "handmade");
    return created ? *created : nullptr;
}

void compareMoments(const DatasetStats &stats, const torch::Tensor &floats)
{
    const torch::Tensor mean = floats.to(torch::kDouble).mean({0, 2, 3});
    const torch::Tensor std = floats.to(torch::kDouble).std({0, 2, 3}, /*unbiased=*/false);
    QCOMPARE(stats.mean.size(), std::size_t(floats.size(1)));
    for (std::int64_t ch = 0; ch < floats.size(1); ++ch) {
        QVERIFY(std::abs(stats.mean[ch] - mean[ch].item<double>()) < 1e-9);
        QVERIFY(std::abs(stats.std[ch] - std[ch].item<double>()) < 1e-9);
    }
}

} // namespace

class TestDatasetStats : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void countsMomentsAndDuplicates()
    {
        const auto dataset = handmade();
        QVERIFY(dataset);
        auto stats = computeDatasetStats(*dataset);
        QVERIFY2(stats.has_value(), stats ? "" : stats.error().toString().c_str());
        QCOMPARE(stats->count, std::int64_t(6));
        QCOMPARE(stats->sampleShape, (std::vector<std::int64_t>{1, 2, 2}));
        QCOMPARE(stats->classCounts, (std::vector<std::int64_t>{2, 2, 2, 0}));
        compareMoments(*stats, dataset->rawImages().to(torch::kFloat) / 255.0);

        QCOMPARE(stats->duplicates.size(), std::size_t(2));
        QCOMPARE(stats->duplicates[0].indices, (std::vector<std::int64_t>{0, 3}));
        QVERIFY(!stats->duplicates[0].mixedLabels);
        QCOMPARE(stats->duplicates[0].label, std::int64_t(0));
        QCOMPARE(stats->duplicates[1].indices, (std::vector<std::int64_t>{1, 4, 5}));
        QVERIFY(stats->duplicates[1].mixedLabels);
        QCOMPARE(stats->redundantSamples(), std::int64_t(3));
        QVERIFY(stats->unreadable.empty());
    }

    void floatDatasetsUseTheirSamples()
    {
        torch::manual_seed(3);
        torch::Tensor images = torch::rand({50, 3, 4, 5});
        images[17] = images[2];
        images[40] = images[2];
        auto dataset = TensorDataset::create(images, torch::zeros({50}, torch::kLong), {"x"});
        QVERIFY(dataset.has_value());
        auto stats = computeDatasetStats(**dataset);
        QVERIFY(stats.has_value());
        compareMoments(*stats, images);
        QCOMPARE(stats->duplicates.size(), std::size_t(1));
        QCOMPARE(stats->duplicates[0].indices, (std::vector<std::int64_t>{2, 17, 40}));
    }

    void progressReachesTotalAndStopCancels()
    {
        const torch::Tensor images = torch::randint(0, 256, {5000, 1, 3, 3}).to(torch::kByte);
        auto dataset = TensorDataset::create(images, torch::zeros({5000}, torch::kLong), {"x"});
        QVERIFY(dataset.has_value());
        std::vector<std::int64_t> seen;
        auto stats = computeDatasetStats(**dataset, {}, [&](std::int64_t done, std::int64_t total) {
            QCOMPARE(total, std::int64_t(5000));
            seen.push_back(done);
        });
        QVERIFY(stats.has_value());
        QVERIFY(seen.size() >= 2);
        QVERIFY(std::is_sorted(seen.begin(), seen.end()));
        QCOMPARE(seen.back(), std::int64_t(5000));

        std::stop_source stop;
        auto cancelled = computeDatasetStats(
            **dataset, stop.get_token(), [&](std::int64_t, std::int64_t) { stop.request_stop(); });
        QVERIFY(!cancelled.has_value());
        QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
    }

    void unreadableItemsComeFromTheReader()
    {
        lathe::data::ImageFolderDataset dataset(
            torch::zeros({1, 1, 2, 2}, torch::kByte), torch::zeros({1}, torch::kLong), {"a"},
            "folder", {"/data/a/1.png"}, {{"/data/a/broken.png", "bad png sig"}});
        auto stats = computeDatasetStats(dataset);
        QVERIFY(stats.has_value());
        QCOMPARE(stats->unreadable.size(), std::size_t(1));
        QCOMPARE(stats->unreadable[0].path, std::filesystem::path("/data/a/broken.png"));
        QCOMPARE(stats->unreadable[0].reason, std::string("bad png sig"));
    }

    void fashionMnistTrain()
    {
        auto dataset
            = lathe::data::loadFashionMnist(LATHE_TEST_FASHION_DIR, lathe::data::Split::Train);
        if (!dataset)
            QSKIP("Fashion-MNIST is not installed");
        auto stats = computeDatasetStats(**dataset);
        QVERIFY(stats.has_value());
        QCOMPARE(stats->count, std::int64_t(60000));
        QCOMPARE(stats->classCounts, std::vector<std::int64_t>(10, 6000));
        // The published normalisation constants of Fashion-MNIST's train split.
        QVERIFY(std::abs(stats->mean[0] - 0.2860) < 5e-4);
        QVERIFY(std::abs(stats->std[0] - 0.3530) < 5e-4);
        qInfo("Fashion-MNIST train: %zu duplicate groups, %lld redundant samples, %lld with "
              "mixed labels",
              stats->duplicates.size(), qlonglong(stats->redundantSamples()),
              qlonglong(std::count_if(stats->duplicates.begin(), stats->duplicates.end(),
                                      [](const auto &g) { return g.mixedLabels; })));
        for (const auto &group : stats->duplicates) {
            QVERIFY(group.indices.size() >= 2);
            QVERIFY((*dataset)->rawImages()[group.indices[0]].equal(
                (*dataset)->rawImages()[group.indices[1]]));
        }
    }
};

LATHE_TEST_GUILESS_MAIN(TestDatasetStats)
#include "tst_dataset_stats.moc"
