#include "core/data/split.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QtTest>

#include <cmath>

using lathe::data::SplitIndices;
using lathe::data::stratifiedSplit;

namespace {

/// Unbalanced labels: class c has 100 + 37 * c samples, interleaved.
torch::Tensor unbalancedLabels()
{
    std::vector<std::int64_t> labels;
    for (std::int64_t c = 0; c < 5; ++c)
        labels.insert(labels.end(), std::size_t(100 + 37 * c), c);
    torch::Tensor t = torch::tensor(labels, torch::kLong);
    return t.index_select(0, torch::randperm(t.size(0), torch::kLong)); // order does not matter
}

bool sortedAscending(const torch::Tensor &t)
{
    return t.numel() < 2 || (t.slice(0, 1) > t.slice(0, 0, -1)).all().item<bool>();
}

} // namespace

class TestSplit : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void keepsClassProportions_data()
    {
        QTest::addColumn<double>("fraction");
        QTest::newRow("10%") << 0.1;
        QTest::newRow("25%") << 0.25;
        QTest::newRow("one third") << 1.0 / 3.0;
        QTest::newRow("all") << 1.0;
    }
    void keepsClassProportions()
    {
        QFETCH(double, fraction);
        const torch::Tensor labels = unbalancedLabels();
        const SplitIndices split = stratifiedSplit(labels, fraction, 7);
        for (std::int64_t c = 0; c < 5; ++c) {
            const auto count = labels.eq(c).sum().item<std::int64_t>();
            const auto inVal = labels.index_select(0, split.val).eq(c).sum().item<std::int64_t>();
            QVERIFY(std::abs(inVal - std::llround(double(count) * fraction)) <= 1);
        }
    }

    void disjointAndComplete_data() { keepsClassProportions_data(); }
    void disjointAndComplete()
    {
        QFETCH(double, fraction);
        const torch::Tensor labels = unbalancedLabels();
        const SplitIndices split = stratifiedSplit(labels, fraction, 3);
        QCOMPARE(split.train.scalar_type(), torch::kLong);
        QVERIFY(sortedAscending(split.train));
        QVERIFY(sortedAscending(split.val));
        const torch::Tensor all = std::get<0>(torch::sort(torch::cat({split.train, split.val})));
        QVERIFY(all.equal(torch::arange(labels.size(0), torch::kLong))); // disjoint + complete
    }

    void zeroFractionGivesEmptyVal()
    {
        const torch::Tensor labels = unbalancedLabels();
        const SplitIndices split = stratifiedSplit(labels, 0.0, 1);
        QCOMPARE(split.val.numel(), std::int64_t(0));
        QVERIFY(split.train.equal(torch::arange(labels.size(0), torch::kLong)));
    }

    void deterministicPerSeed()
    {
        const torch::Tensor labels = unbalancedLabels();
        const SplitIndices a = stratifiedSplit(labels, 0.2, 42);
        const SplitIndices b = stratifiedSplit(labels, 0.2, 42);
        const SplitIndices c = stratifiedSplit(labels, 0.2, 43);
        QVERIFY(a.val.equal(b.val));
        QVERIFY(a.train.equal(b.train));
        QCOMPARE(c.val.numel(), a.val.numel());
        QVERIFY(!a.val.equal(c.val));
    }

    void emptyOrUndefinedLabels()
    {
        const SplitIndices empty = stratifiedSplit(torch::empty({0}, torch::kLong), 0.5, 1);
        QCOMPARE(empty.train.numel() + empty.val.numel(), std::int64_t(0));
        const SplitIndices undefined = stratifiedSplit(torch::Tensor(), 0.5, 1);
        QCOMPARE(undefined.train.numel() + undefined.val.numel(), std::int64_t(0));
    }
};

LATHE_TEST_GUILESS_MAIN(TestSplit)
#include "tst_split.moc"
