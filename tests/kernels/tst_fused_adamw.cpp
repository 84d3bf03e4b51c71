// The fused Adam/AdamW CPU path against torch::optim::AdamW / Adam (+ clip_grad_norm_).
#include "kernel_check.h"
#include "kernels/fused_adamw/fused_adamw.h"
#include "tests/test_registry.h"

#include <QtTest>

using namespace lathe;
using namespace lathe::kernels;

namespace {

using Shapes = std::vector<std::vector<std::int64_t>>;

struct Run
{
    std::vector<torch::Tensor> params, expAvg, expAvgSq;
};

std::vector<torch::Tensor> gradsFor(const std::vector<torch::Tensor> &params, int step, bool nan)
{
    torch::manual_seed(1000 + step);
    std::vector<torch::Tensor> grads;
    for (const auto &p : params)
        grads.push_back(torch::randn(p.sizes()) * 0.3);
    if (nan && !grads.empty() && grads.front().numel() > 0)
        grads.front().view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
    return grads;
}

std::vector<torch::Tensor> initialParams(const Shapes &shapes, bool transposed)
{
    torch::manual_seed(5);
    std::vector<torch::Tensor> params;
    for (const auto &shape : shapes) {
        auto p = torch::randn(shape);
        // A transposed (non-contiguous, dense) parameter exercises the staging path.
        if (transposed && p.dim() == 2)
            p = torch::randn({shape[1], shape[0]}).t();
        params.push_back(p);
    }
    return params;
}

Run referenceRun(const Shapes &shapes, const AdamWHyper &h, int steps, bool transposed)
{
    auto params = initialParams(shapes, transposed);
    for (auto &p : params)
        p.requires_grad_(true);
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (h.decoupled)
        optimizer = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(h.lr)
                                                                      .betas({h.beta1, h.beta2})
                                                                      .eps(h.eps)
                                                                      .weight_decay(h.weightDecay));
    else
        optimizer = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(h.lr)
                                                                     .betas({h.beta1, h.beta2})
                                                                     .eps(h.eps)
                                                                     .weight_decay(h.weightDecay));
    for (int step = 0; step < steps; ++step) {
        const auto grads = gradsFor(params, step, false);
        for (std::size_t i = 0; i < params.size(); ++i)
            params[i].mutable_grad() = grads[i].clone();
        if (h.maxGradNorm > 0)
            torch::nn::utils::clip_grad_norm_(params, h.maxGradNorm);
        optimizer->step();
    }
    Run run;
    for (auto &p : params) {
        run.params.push_back(p.detach());
        const auto &state = *optimizer->state().at(c10::guts::to_string(p.unsafeGetTensorImpl()));
        if (h.decoupled) {
            run.expAvg.push_back(
                static_cast<const torch::optim::AdamWParamState &>(state).exp_avg());
            run.expAvgSq.push_back(
                static_cast<const torch::optim::AdamWParamState &>(state).exp_avg_sq());
        } else {
            run.expAvg.push_back(
                static_cast<const torch::optim::AdamParamState &>(state).exp_avg());
            run.expAvgSq.push_back(
                static_cast<const torch::optim::AdamParamState &>(state).exp_avg_sq());
        }
    }
    return run;
}

Run fusedRun(const Shapes &shapes, const AdamWHyper &h, int steps, bool transposed)
{
    AdamWTensors t;
    t.params = initialParams(shapes, transposed);
    for (const auto &p : t.params) {
        t.expAvg.push_back(torch::zeros_like(p));
        t.expAvgSq.push_back(torch::zeros_like(p));
        t.steps.push_back(0);
    }
    for (int step = 0; step < steps; ++step) {
        t.grads = gradsFor(t.params, step, false);
        for (auto &s : t.steps)
            ++s;
        const auto norm = fusedAdamWCpu(t, h);
        if (!norm)
            qFatal("%s", norm.error().message.c_str());
    }
    return {t.params, t.expAvg, t.expAvgSq};
}

AdamWHyper hyper(bool decoupled, double clip)
{
    AdamWHyper h;
    h.lr = 0.01;
    h.weightDecay = 0.05;
    h.decoupled = decoupled;
    h.maxGradNorm = clip;
    return h;
}

} // namespace

Q_DECLARE_METATYPE(Shapes)

class TestFusedAdamW : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesTorchOptim_data()
    {
        QTest::addColumn<Shapes>("shapes");
        QTest::addColumn<bool>("decoupled");
        QTest::addColumn<double>("clip");
        QTest::addColumn<bool>("transposed");
        const Shapes cnn{{8, 1, 3, 3}, {8}, {16, 8, 3, 3}, {16}, {10, 784}, {10}};
        QTest::newRow("adamw cnn") << cnn << true << 0.0 << false;
        QTest::newRow("adamw cnn clipped") << cnn << true << 0.5 << false;
        QTest::newRow("adam cnn clipped") << cnn << false << 0.5 << false;
        QTest::newRow("adam cnn") << cnn << false << 0.0 << false;
        QTest::newRow("one element") << Shapes{{1}} << true << 0.1 << false;
        QTest::newRow("empty tensor among others")
            << Shapes{{0}, {5}, {0, 3}} << true << 1.0 << false;
        QTest::newRow("no tensors") << Shapes{} << true << 1.0 << false;
        QTest::newRow("non-contiguous") << Shapes{{7, 5}, {3}} << true << 0.5 << true;
        QTest::newRow("large") << Shapes{{1 << 20}, {300, 301}} << true << 1.0 << false;
        QTest::newRow("large adam") << Shapes{{1 << 20}, {33}} << false << 0.0 << false;
    }
    // Five steps of both, tolerance atol 1e-6 + rtol 1e-5: float rounding of the same formula.
    void matchesTorchOptim()
    {
        QFETCH(Shapes, shapes);
        QFETCH(bool, decoupled);
        QFETCH(double, clip);
        QFETCH(bool, transposed);
        const auto h = hyper(decoupled, clip);
        const auto ref = referenceRun(shapes, h, 5, transposed);
        const auto got = fusedRun(shapes, h, 5, transposed);
        QCOMPARE(got.params.size(), ref.params.size());
        for (std::size_t i = 0; i < ref.params.size(); ++i) {
            LATHE_COMPARE_TENSORS(got.params[i], ref.params[i], 1e-6, 1e-5);
            LATHE_COMPARE_TENSORS(got.expAvg[i], ref.expAvg[i], 1e-6, 1e-5);
            LATHE_COMPARE_TENSORS(got.expAvgSq[i], ref.expAvgSq[i], 1e-7, 1e-5);
            QCOMPARE(got.params[i].strides(), ref.params[i].strides());
        }
    }

    // Above kMinTaskElements per thread the flat space is split across threads, parts starting
    // and ending inside tensors: the result must still be torch::optim's.
    void parallelSplitMatchesTorchOptim()
    {
        const int threads = torch::get_num_threads();
        torch::set_num_threads(3);
        const Shapes shapes{{100000}, {3}, {400, 500}, {33}, {100000}};
        const auto h = hyper(true, 1.0);
        const auto ref = referenceRun(shapes, h, 3, false);
        const auto got = fusedRun(shapes, h, 3, false);
        torch::set_num_threads(threads);
        QCOMPARE(got.params.size(), ref.params.size());
        for (std::size_t i = 0; i < ref.params.size(); ++i) {
            LATHE_COMPARE_TENSORS(got.params[i], ref.params[i], 1e-6, 1e-5);
            LATHE_COMPARE_TENSORS(got.expAvgSq[i], ref.expAvgSq[i], 1e-7, 1e-5);
        }
    }

    void returnsTheGradientNorm()
    {
        AdamWTensors t;
        t.params = {torch::zeros({2}), torch::zeros({1})};
        t.grads = {torch::tensor({3.0f, 0.0f}), torch::tensor({4.0f})};
        t.expAvg = {torch::zeros({2}), torch::zeros({1})};
        t.expAvgSq = {torch::zeros({2}), torch::zeros({1})};
        t.steps = {1, 1};
        const auto norm = fusedAdamWCpu(t, hyper(true, 1.0));
        QVERIFY(norm.has_value());
        QCOMPARE(*norm, 5.0);
        const auto unclipped = fusedAdamWCpu(t, hyper(true, 0.0));
        QVERIFY(unclipped.has_value());
        QCOMPARE(*unclipped, 0.0);
    }

    // A NaN gradient: without clipping it spreads into the parameter as in torch; with
    // clipping the norm is NaN, it is returned and nothing changes.
    void nanGradient()
    {
        const Shapes shapes{{4, 3}, {3}};
        AdamWTensors t;
        t.params = initialParams(shapes, false);
        for (const auto &p : t.params) {
            t.expAvg.push_back(torch::zeros_like(p));
            t.expAvgSq.push_back(torch::zeros_like(p));
            t.steps.push_back(1);
        }
        t.grads = gradsFor(t.params, 0, true);
        const auto before = t.params[1].clone();
        const auto clipped = fusedAdamWCpu(t, hyper(true, 1.0));
        QVERIFY(clipped.has_value());
        QVERIFY(std::isnan(*clipped));
        QVERIFY(torch::equal(before, t.params[1]));
        QVERIFY(fusedAdamWCpu(t, hyper(true, 0.0)).has_value());
        QVERIFY(std::isnan(t.params[0].view(-1)[0].item<float>()));
        QVERIFY(std::isfinite(t.params[0].view(-1)[1].item<float>()));
    }

    void rejectsBadInput()
    {
        AdamWTensors t;
        t.params = {torch::zeros({2})};
        t.grads = {torch::zeros({2})};
        t.expAvg = {torch::zeros({2})};
        t.expAvgSq = {torch::zeros({2})};
        t.steps = {};
        QCOMPARE(fusedAdamWCpu(t, hyper(true, 0)).error().code, ErrorCode::InvalidArgument);
        t.steps = {0};
        QVERIFY(!fusedAdamWCpu(t, hyper(true, 0)).has_value());
        t.steps = {1};
        t.grads = {torch::zeros({2}, torch::kDouble)};
        QVERIFY(!fusedAdamWCpu(t, hyper(true, 0)).has_value());
        t.grads = {torch::zeros({3})};
        QVERIFY(!fusedAdamWCpu(t, hyper(true, 0)).has_value());
        t.grads = {torch::Tensor()};
        QVERIFY(!fusedAdamWCpu(t, hyper(true, 0)).has_value());
        t.grads = {torch::zeros({2})};
        auto h = hyper(true, 0);
        h.lr = std::numeric_limits<double>::infinity();
        QVERIFY(!fusedAdamWCpu(t, h).has_value());
        QVERIFY(fusedAdamW(t, hyper(true, 0)).has_value()); // the dispatch takes the CPU path
    }
};

LATHE_TEST_GUILESS_MAIN(TestFusedAdamW)
#include "tst_fused_adamw.moc"
