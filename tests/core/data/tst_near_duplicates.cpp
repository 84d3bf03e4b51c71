#include "core/data/near_duplicates.h"

#include "core/data/dataset.h"
#include "core/data/fashion_mnist.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QtTest>

#include <algorithm>

using lathe::ErrorCode;
using lathe::data::DuplicateCluster;
using lathe::data::DuplicateReport;
using lathe::data::findNearDuplicates;
using lathe::data::NamedSplit;
using lathe::data::NearDuplicateOptions;
using lathe::data::SampleRef;
using lathe::data::TensorDataset;

namespace {

std::shared_ptr<TensorDataset> fashion(lathe::data::Split split)
{
    auto loaded = lathe::data::loadFashionMnist(lathe::data::defaultFashionMnistDir(), split);
    if (!loaded)
        qFatal("%s", loaded.error().toString().c_str());
    return *loaded;
}

std::shared_ptr<TensorDataset> slice(const TensorDataset &base, std::int64_t n)
{
    return *TensorDataset::create(base.rawImages().narrow(0, 0, n).clone(),
                                  base.labels().narrow(0, 0, n).clone(), base.classNames(),
                                  "slice");
}

/// The cluster holding `ref`, or null.
const DuplicateCluster *clusterOf(const DuplicateReport &report, SampleRef ref)
{
    for (const DuplicateCluster &c : report.clusters)
        for (const SampleRef &m : c.members)
            if (m.split == ref.split && m.index == ref.index)
                return &c;
    return nullptr;
}

} // namespace

class TestNearDuplicates : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Real test images and constructed copies of them: an exact copy, one pixel changed, one
    // image shifted by a pixel (a near copy by the hash but not by the RMS threshold), and a
    // different real image.
    void findsConstructedCopiesInRealData()
    {
        const auto test = slice(*fashion(lathe::data::Split::Test), 1000);
        const auto train = fashion(lathe::data::Split::Train);
        torch::Tensor raw = test->rawImages();
        torch::Tensor onePixel = raw[7].clone();
        onePixel[0][14][14] = onePixel[0][14][14].item<int>() < 128 ? 255 : 0;
        const torch::Tensor shifted = torch::roll(raw[11], 1, 2);
        const torch::Tensor copies
            = torch::stack({raw[3].clone(), onePixel, shifted, train->rawImages()[0]});
        auto extra = TensorDataset::create(copies, torch::tensor({0, 0, 0, 0}), test->classNames(),
                                           "copies");
        QVERIFY(extra.has_value());
        auto report = findNearDuplicates({{"test", test}, {"copies", *extra}});
        QVERIFY2(report.has_value(), report ? "" : report.error().toString().c_str());

        const DuplicateCluster *exact = clusterOf(*report, {1, 0});
        QVERIFY(exact);
        QVERIFY(exact->exact);
        QVERIFY(std::ranges::count(exact->members,
                                   SampleRef{0, 3, test->labels()[3].item<std::int64_t>()})
                == 1);
        const DuplicateCluster *near = clusterOf(*report, {1, 1});
        QVERIFY(near);
        QVERIFY(!near->exact);
        QVERIFY(clusterOf(*report, {0, 7}) == near);
        QVERIFY(near->maxRms > 0.0 && near->maxRms < 0.04);
        QVERIFY(near->mixedLabels == (test->labels()[7].item<std::int64_t>() != 0));
        QVERIFY(!clusterOf(*report, {1, 2}));
        QVERIFY(!clusterOf(*report, {1, 3}));
        QCOMPARE(report->exactPairs[0][1], std::int64_t(1));
        QVERIFY(report->pairs[0][1] >= 2);
        QCOMPARE(report->exactPairs[1][1], std::int64_t(0));
        QCOMPARE(report->splitSizes, (std::vector<std::int64_t>{1000, 4}));

        // A tighter RMS threshold than one pixel's change keeps only the exact copy.
        auto strict = findNearDuplicates({{"test", test}, {"copies", *extra}}, {6, 0.01});
        QVERIFY(strict.has_value());
        QVERIFY(!clusterOf(*strict, {1, 1}));
        QVERIFY(clusterOf(*strict, {1, 0}));
    }

    // Fashion-MNIST's published byte-level duplicates are gone from the Debian copy: no exact
    // pair among the first 5,000 train images and the test set.
    void noExactCopiesInRealSlices()
    {
        const auto train = slice(*fashion(lathe::data::Split::Train), 5000);
        auto report = findNearDuplicates(
            {{"train", train}, {"test", fashion(lathe::data::Split::Test)}}, {0, 0.0});
        QVERIFY2(report.has_value(), report ? "" : report.error().toString().c_str());
        QCOMPARE(report->exactPairs[0][0] + report->exactPairs[0][1] + report->exactPairs[1][1],
                 std::int64_t(0));
        QCOMPARE(report->pairs[0][0] + report->pairs[0][1] + report->pairs[1][1], std::int64_t(0));
        QVERIFY(report->clusters.empty());
    }

    void badInput_data()
    {
        QTest::addColumn<int>("hamming");
        QTest::addColumn<double>("rms");
        QTest::addColumn<QString>("context");
        QTest::newRow("negative hamming") << -1 << 0.04 << "max_hamming";
        QTest::newRow("hamming past 16") << 17 << 0.04 << "max_hamming";
        QTest::newRow("negative rms") << 4 << -0.1 << "max_rms";
        QTest::newRow("rms past 1") << 4 << 1.5 << "max_rms";
    }
    void badInput()
    {
        QFETCH(int, hamming);
        QFETCH(double, rms);
        QFETCH(QString, context);
        const auto test = slice(*fashion(lathe::data::Split::Test), 10);
        auto report = findNearDuplicates({{"test", test}}, {hamming, rms});
        QVERIFY(!report.has_value());
        QCOMPARE(report.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(QString::fromStdString(report.error().context), context);
    }

    void refusesMixedShapesAndNoSplit()
    {
        const auto test = slice(*fashion(lathe::data::Split::Test), 10);
        auto small = TensorDataset::create(torch::zeros({2, 1, 4, 4}, torch::kByte),
                                           torch::tensor({0, 1}), {"a", "b"}, "small");
        auto mixed = findNearDuplicates({{"test", test}, {"small", *small}});
        QVERIFY(!mixed.has_value());
        QVERIFY(mixed.error().message.find("different sample shapes") != std::string::npos);
        QVERIFY(!findNearDuplicates({}).has_value());
    }

    void cancels()
    {
        std::stop_source stop;
        stop.request_stop();
        auto report = findNearDuplicates({{"test", fashion(lathe::data::Split::Test)}}, {},
                                         stop.get_token());
        QVERIFY(!report.has_value());
        QCOMPARE(report.error().code, ErrorCode::Cancelled);
    }
};

LATHE_TEST_GUILESS_MAIN(TestNearDuplicates)
#include "tst_near_duplicates.moc"
