// The histogram CPU path against torch::histc (exact counts).
#include "kernel_check.h"
#include "kernels/histogram/histogram.h"
#include "tests/test_registry.h"

#include <QtTest>

using namespace lathe;
using namespace lathe::kernels;

class TestHistogram : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesHistc_data()
    {
        QTest::addColumn<qint64>("count");
        QTest::addColumn<qint64>("bins");
        QTest::addColumn<bool>("ranged");
        QTest::addColumn<QString>("special");
        QTest::newRow("data range") << 100000ll << 64ll << false << "";
        QTest::newRow("given range, values outside") << 100000ll << 37ll << true << "";
        QTest::newRow("one bin") << 1000ll << 1ll << false << "";
        QTest::newRow("one element") << 1ll << 10ll << false << "";
        QTest::newRow("constant") << 50ll << 8ll << false << "constant";
        QTest::newRow("non-contiguous") << 4000ll << 20ll << false << "strided";
        QTest::newRow("double") << 5000ll << 30ll << true << "double";
        QTest::newRow("edges exactly") << 1000ll << 10ll << true << "grid";
        QTest::newRow("large") << (1ll << 22) << 256ll << false << "";
        QTest::newRow("many bins") << 100000ll << 100000ll << false << "";
    }
    void matchesHistc()
    {
        QFETCH(qint64, count);
        QFETCH(qint64, bins);
        QFETCH(bool, ranged);
        QFETCH(QString, special);
        torch::manual_seed(count + bins);
        auto x = torch::randn({count});
        if (special == "constant")
            x = torch::full({count}, 2.5f);
        if (special == "strided")
            x = torch::randn({count, 3}).select(1, 1);
        if (special == "double")
            x = x.to(torch::kDouble);
        if (special == "grid") // values on the bin edges of [-1, 1]
            x = torch::linspace(-1.0, 1.0, 11).repeat({count / 11 + 1}).narrow(0, 0, count);
        const double lo = special == "grid" ? -1.0 : -1.3, hi = special == "grid" ? 1.0 : 2.1;
        const auto got = ranged ? histogramCpu(x, bins, lo, hi) : histogramCpu(x, bins);
        QVERIFY2(got.has_value(), got ? "" : got.error().message.c_str());
        const auto expected = ranged ? torch::histc(x.to(torch::kFloat), bins, lo, hi)
                                     : torch::histc(x.to(torch::kFloat), bins);
        QVERIFY(torch::equal(got->counts, expected.to(torch::kLong)));
        QCOMPARE(got->nonFinite, std::int64_t(0));
        if (!ranged && special.isEmpty() && count > 1) {
            QCOMPARE(got->min, x.min().item<double>());
            QCOMPARE(got->max, x.max().item<double>());
            QCOMPARE(got->counts.sum().item<std::int64_t>(), count);
        }
    }

    // NaN and Inf are reported, never counted; the range comes from the finite values.
    void nonFiniteValues()
    {
        auto x = torch::randn({1000});
        x[3] = std::numeric_limits<float>::quiet_NaN();
        x[10] = std::numeric_limits<float>::infinity();
        x[11] = -std::numeric_limits<float>::infinity();
        const auto got = histogramCpu(x, 16);
        QVERIFY(got.has_value());
        QCOMPARE(got->nonFinite, std::int64_t(3));
        const auto finite = x.masked_select(x.isfinite());
        QVERIFY(torch::equal(got->counts, torch::histc(finite, 16).to(torch::kLong)));
        QCOMPARE(got->max, finite.max().item<double>());
    }

    void emptyTensor()
    {
        const auto got = histogramCpu(torch::zeros({0}), 5);
        QVERIFY(got.has_value());
        QCOMPARE(got->counts.sum().item<std::int64_t>(), std::int64_t(0));
        QCOMPARE(got->min, -1.0);
        QCOMPARE(got->max, 1.0);
    }

    void rejectsBadInput()
    {
        const auto x = torch::randn({10});
        QVERIFY(!histogramCpu(x, 0));
        QVERIFY(!histogramCpu(x, 4, 1.0, std::nullopt));
        QVERIFY(!histogramCpu(x, 4, 2.0, 1.0));
        QVERIFY(!histogramCpu(x, 4, 0.0, std::numeric_limits<double>::infinity()));
        QCOMPARE(histogramCpu(torch::arange(10), 4).error().code, ErrorCode::InvalidArgument);
        QVERIFY(kernels::histogram(x, 4).has_value());
    }
};

LATHE_TEST_GUILESS_MAIN(TestHistogram)
#include "tst_histogram.moc"
