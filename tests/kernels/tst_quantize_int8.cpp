// int8 per-channel quantisation on the CPU against the same maths in plain LibTorch ops.
#include "kernel_check.h"
#include "kernels/quantize_int8/quantize_int8.h"
#include "tests/test_registry.h"

#include <QtTest>

using namespace lathe;
using namespace lathe::kernels;

namespace {

/// scale = amax|w| over every axis but `axis` / 127 (1 for all-zero channels);
/// q = clamp(round(w / scale), -127, 127).
std::pair<torch::Tensor, torch::Tensor> referenceQuantize(const torch::Tensor &w, std::int64_t axis)
{
    if (w.numel() == 0) // LibTorch cannot amax over an empty axis
        return {torch::zeros(w.sizes(), torch::kChar), torch::ones({w.size(axis)})};
    std::vector<std::int64_t> others;
    for (std::int64_t d = 0; d < w.dim(); ++d)
        if (d != axis)
            others.push_back(d);
    auto top = others.empty() ? w.abs() : w.abs().amax(others);
    auto scales = torch::where(top > 0, top / 127.0f, torch::ones_like(top));
    std::vector<std::int64_t> shape(std::size_t(w.dim()), 1);
    shape[std::size_t(axis)] = w.size(axis);
    const auto q = (w / scales.view(shape)).round().clamp(-127, 127).to(torch::kChar);
    return {q, scales};
}

} // namespace

class TestQuantizeInt8 : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesLibTorch_data()
    {
        QTest::addColumn<QList<qint64>>("shape");
        QTest::addColumn<qint64>("axis");
        QTest::addColumn<QString>("special");
        QTest::newRow("conv weight, axis 0") << QList<qint64>{16, 8, 3, 3} << 0ll << "";
        QTest::newRow("conv weight, axis 1") << QList<qint64>{16, 8, 3, 3} << 1ll << "";
        QTest::newRow("linear, axis -1") << QList<qint64>{10, 400} << -1ll << "";
        QTest::newRow("bias") << QList<qint64>{10} << 0ll << "";
        QTest::newRow("one element") << QList<qint64>{1} << 0ll << "";
        QTest::newRow("zero channel") << QList<qint64>{4, 9} << 0ll << "zero";
        QTest::newRow("non-contiguous") << QList<qint64>{12, 7} << 0ll << "transposed";
        QTest::newRow("large") << QList<qint64>{256, 4096} << 0ll << "";
        QTest::newRow("empty channels") << QList<qint64>{0, 5} << 0ll << "";
        QTest::newRow("empty rows") << QList<qint64>{5, 0} << 0ll << "";
    }
    // Values must be equal, scales within rtol 1e-6; the dequantised weights within scale/2.
    void matchesLibTorch()
    {
        QFETCH(QList<qint64>, shape);
        QFETCH(qint64, axis);
        QFETCH(QString, special);
        torch::manual_seed(shape.size() * 7 + axis);
        std::vector<std::int64_t> sizes(shape.begin(), shape.end());
        auto w = torch::randn(sizes) * 0.2;
        if (special == "zero")
            w[2].zero_();
        if (special == "transposed")
            w = (torch::randn({sizes[1], sizes[0]}) * 0.2).t();
        const std::int64_t dim = axis < 0 ? axis + w.dim() : axis;
        const auto [q, scales] = referenceQuantize(w, dim);
        const auto got = quantizeInt8Cpu(w, axis);
        QVERIFY2(got.has_value(), got ? "" : got.error().message.c_str());
        QCOMPARE(got->axis, dim);
        LATHE_COMPARE_TENSORS(got->scales, scales, 0.0, 1e-6);
        QVERIFY(torch::equal(got->values, q));
        const auto back = dequantizeInt8Cpu(*got);
        QVERIFY(back.has_value());
        std::vector<std::int64_t> view(std::size_t(w.dim()), 1);
        view[std::size_t(dim)] = w.size(dim);
        LATHE_COMPARE_TENSORS(*back, q.to(torch::kFloat) * scales.view(view), 0.0, 0.0);
        if (w.numel() > 0) {
            const auto error = (*back - w).abs() - scales.view(view) / 2;
            QVERIFY(error.max().item<float>() <= 1e-6f);
        }
    }

    void rejectsBadInput()
    {
        auto w = torch::randn({4, 3});
        QVERIFY(!quantizeInt8Cpu(w, 2));
        QVERIFY(!quantizeInt8Cpu(w, -3));
        QVERIFY(!quantizeInt8Cpu(w.to(torch::kDouble)));
        QVERIFY(!quantizeInt8Cpu(torch::tensor(1.0f)));
        w[1][2] = std::numeric_limits<float>::quiet_NaN();
        const auto nan = quantizeInt8Cpu(w);
        QVERIFY(!nan.has_value());
        QCOMPARE(nan.error().context, std::string("channel 1"));
        QuantizedInt8 bad{torch::zeros({4, 3}, torch::kChar), torch::ones({3}), 0};
        QVERIFY(!dequantizeInt8Cpu(bad));
        bad.scales = torch::ones({4});
        QVERIFY(dequantizeInt8(bad).has_value());
        QVERIFY(quantizeInt8(torch::randn({2, 2})).has_value());
    }
};

LATHE_TEST_GUILESS_MAIN(TestQuantizeInt8)
#include "tst_quantize_int8.moc"
