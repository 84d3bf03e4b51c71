// The fused softmax cross-entropy CPU path against LibTorch's cross_entropy (label smoothing)
// and the gradient autograd computes for it.
#include "kernel_check.h"
#include "kernels/softmax_cross_entropy/softmax_cross_entropy.h"
#include "tests/test_registry.h"

#include <QtTest>

using namespace lathe;
using namespace lathe::kernels;

namespace {

struct Reference
{
    torch::Tensor loss, grad;
};

Reference referenceLoss(const torch::Tensor &logits, const torch::Tensor &targets, double smoothing,
                        double scale)
{
    auto z = logits.detach().clone().requires_grad_(true);
    auto loss = torch::nn::functional::cross_entropy(
        z, targets, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing));
    (loss * scale).backward();
    return {loss.detach(), z.grad()};
}

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

} // namespace

class TestSoftmaxCrossEntropy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesLibTorch_data()
    {
        QTest::addColumn<qint64>("rows");
        QTest::addColumn<qint64>("classes");
        QTest::addColumn<double>("smoothing");
        QTest::addColumn<double>("scale");
        QTest::addColumn<QString>("special");
        QTest::newRow("256x10 smoothed") << 256ll << 10ll << 0.1 << 1.0 << "";
        QTest::newRow("64x1000 smoothed") << 64ll << 1000ll << 0.1 << 0.5 << "";
        QTest::newRow("no smoothing") << 33ll << 7ll << 0.0 << 1.0 << "";
        QTest::newRow("one element") << 1ll << 1ll << 0.0 << 1.0 << "";
        QTest::newRow("one row") << 1ll << 5ll << 0.2 << 1.0 << "";
        QTest::newRow("large") << 4096ll << 300ll << 0.1 << 0.25 << "";
        QTest::newRow("big logits") << 16ll << 10ll << 0.1 << 1.0 << "x1000";
        QTest::newRow("non-contiguous") << 40ll << 12ll << 0.1 << 1.0 << "transposed";
        QTest::newRow("NaN row") << 8ll << 6ll << 0.1 << 1.0 << "nan";
        QTest::newRow("+Inf row") << 8ll << 6ll << 0.1 << 1.0 << "+inf";
        QTest::newRow("-Inf logit, smoothed") << 8ll << 6ll << 0.1 << 1.0 << "-inf";
        QTest::newRow("-Inf logit, unsmoothed") << 8ll << 6ll << 0.0 << 1.0 << "-inf";
    }
    // Tolerance atol 1e-6 + rtol 1e-5 (loss: atol 1e-5 for the 1000-class sums).
    void matchesLibTorch()
    {
        QFETCH(qint64, rows);
        QFETCH(qint64, classes);
        QFETCH(double, smoothing);
        QFETCH(double, scale);
        QFETCH(QString, special);
        torch::manual_seed(rows * 31 + classes);
        auto logits = torch::randn({rows, classes}) * 3.0;
        auto targets = torch::randint(0, classes, {rows});
        if (special == "x1000")
            logits = logits * 1000.0;
        if (special == "transposed")
            logits = (torch::randn({classes, rows}) * 3.0).t();
        if (special == "nan")
            logits[2][1] = kNan;
        if (special == "+inf")
            logits[3][0] = kInf;
        if (special == "-inf") {
            logits[4][(targets[4].item<std::int64_t>() + 1) % classes] = -kInf;
        }
        const auto ref = referenceLoss(logits, targets, smoothing, scale);
        const auto got = softmaxCrossEntropyCpu(logits, targets, smoothing, scale);
        QVERIFY2(got.has_value(), got ? "" : got.error().message.c_str());
        QCOMPARE(got->loss.dim(), 0);
        LATHE_COMPARE_TENSORS(got->loss, ref.loss, 1e-5, 1e-5);
        LATHE_COMPARE_TENSORS(got->grad, ref.grad, 1e-6, 1e-5);
        QCOMPARE(got->loss.isnan().item<bool>(), special == "nan" || special == "+inf");
    }

    void emptyBatch()
    {
        const auto got
            = softmaxCrossEntropyCpu(torch::zeros({0, 10}), torch::zeros({0}, torch::kLong), 0.1);
        QVERIFY(got.has_value());
        QCOMPARE(got->grad.sizes(), (std::vector<std::int64_t>{0, 10}));
        const auto ref = torch::nn::functional::cross_entropy(torch::zeros({0, 10}),
                                                              torch::zeros({0}, torch::kLong));
        QCOMPARE(got->loss.isnan().item<bool>(), ref.isnan().item<bool>());
    }

    void rejectsBadInput()
    {
        const auto logits = torch::randn({4, 3});
        const auto bad = softmaxCrossEntropyCpu(logits, torch::tensor({0, 1, 3, 2}), 0.0);
        QVERIFY(!bad.has_value());
        QCOMPARE(bad.error().code, ErrorCode::InvalidArgument);
        QVERIFY(bad.error().context.find("row 2") != std::string::npos);
        QVERIFY(!softmaxCrossEntropyCpu(logits, torch::tensor({0, -1, 0, 0}), 0.0));
        QVERIFY(
            !softmaxCrossEntropyCpu(logits.to(torch::kDouble), torch::tensor({0, 1, 2, 0}), 0.0));
        QVERIFY(!softmaxCrossEntropyCpu(logits, torch::tensor({0, 1, 2}), 0.0));
        QVERIFY(!softmaxCrossEntropyCpu(logits, torch::tensor({0, 1, 2, 0}), 1.0));
        QVERIFY(!softmaxCrossEntropyCpu(torch::randn({4}), torch::tensor({0, 1, 2, 0}), 0.0));
        QVERIFY(softmaxCrossEntropy(logits, torch::tensor({0, 1, 2, 0}), 0.0).has_value());
    }
};

LATHE_TEST_GUILESS_MAIN(TestSoftmaxCrossEntropy)
#include "tst_softmax_cross_entropy.moc"
