#include "core/data/dataset.h"
#include "core/data/normalization.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QtTest>

using namespace lathe::data;

namespace {

/// 10,000 random RGB-ish uint8 images (3 x 8 x 8) with a different spread per channel, so a
/// chunked measurement (chunks of 4,096) has to combine uneven chunks correctly.
std::shared_ptr<TensorDataset> makeDataset()
{
    torch::manual_seed(5);
    const torch::Tensor images = torch::cat({torch::randint(0, 256, {10000, 1, 8, 8}),
                                             torch::randint(0, 64, {10000, 1, 8, 8}),
                                             torch::randint(200, 216, {10000, 1, 8, 8})},
                                            1);
    return *TensorDataset::create(images.to(torch::kByte), torch::zeros({10000}, torch::kLong),
                                  {"only"});
}

} // namespace

class TestNormalization : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesDirectComputation_data()
    {
        QTest::addColumn<std::int64_t>("count");
        QTest::newRow("less than a chunk") << std::int64_t(100);
        QTest::newRow("uneven chunks") << std::int64_t(9001);
    }
    void matchesDirectComputation()
    {
        QFETCH(std::int64_t, count);
        const auto dataset = makeDataset();
        const torch::Tensor indices = torch::randperm(10000, torch::kLong).narrow(0, 0, count);
        const Normalization norm = measureNormalization(*dataset, indices);
        QCOMPARE(norm.mean.size(), std::size_t(3));

        const torch::Tensor x = dataset->images(indices).to(torch::kDouble);
        const torch::Tensor mean = x.mean({0, 2, 3});
        const torch::Tensor std = (x - mean.view({1, 3, 1, 1})).square().mean({0, 2, 3}).sqrt();
        for (int c = 0; c < 3; ++c) {
            QVERIFY(std::abs(norm.mean[c] - mean[c].item<double>()) < 1e-6);
            QVERIFY(std::abs(norm.std[c] - std[c].item<double>()) < 1e-6);
        }
    }

    void appliedBatchIsStandardised()
    {
        const auto dataset = makeDataset();
        const torch::Tensor all = torch::arange(10000, torch::kLong);
        const Normalization norm = measureNormalization(*dataset, all);
        const torch::Tensor y = norm.apply(dataset->images(all)).to(torch::kDouble);
        QCOMPARE(y.scalar_type(), torch::kDouble);
        for (int c = 0; c < 3; ++c) {
            QVERIFY(std::abs(y.select(1, c).mean().item<double>()) < 1e-5);
            QVERIFY(std::abs(y.select(1, c).std(false).item<double>() - 1.0) < 1e-5);
        }
    }

    void applyKeepsDtypeAndShape()
    {
        const Normalization norm{{0.5}, {0.25}};
        const torch::Tensor x = torch::full({2, 1, 3, 3}, 1.0f);
        const torch::Tensor y = norm.apply(x);
        QCOMPARE(y.scalar_type(), torch::kFloat);
        QCOMPARE(y.sizes(), x.sizes());
        QVERIFY(y.eq(2.0f).all().item<bool>());
        QVERIFY(Normalization{}.apply(x).equal(x));
    }

    void constantChannelAndEmptyIndicesStayFinite()
    {
        const auto flat = *TensorDataset::create(torch::full({10, 1, 2, 2}, 7, torch::kByte),
                                                 torch::zeros({10}, torch::kLong), {"a"});
        const Normalization constant = measureNormalization(*flat, torch::arange(10));
        QCOMPARE(constant.std, std::vector<double>{1.0});
        const Normalization empty = measureNormalization(*flat, torch::empty({0}, torch::kLong));
        QCOMPARE(empty.mean, std::vector<double>{0.0});
        QCOMPARE(empty.std, std::vector<double>{1.0});
    }
};

LATHE_TEST_GUILESS_MAIN(TestNormalization)
#include "tst_normalization.moc"
