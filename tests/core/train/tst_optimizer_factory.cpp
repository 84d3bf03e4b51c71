#include "core/train/optimizer_factory.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <torch/torch.h>

using lathe::ErrorCode;
using lathe::train::learningRate;
using lathe::train::makeOptimizer;
using lathe::train::OptimizerConfig;
using lathe::train::optimizerNames;
using lathe::train::setLearningRate;

namespace {

OptimizerConfig configFor(const std::string &name)
{
    OptimizerConfig config;
    config.name = name;
    config.lr = 0.05;
    return config;
}

/// ‖w − target‖² for the 4-vector target (1, −2, 3, 0.5): 14.25 at w = 0.
torch::Tensor quadraticLoss(const torch::Tensor &w)
{
    const auto target = torch::tensor({1.0f, -2.0f, 3.0f, 0.5f});
    return (w - target).pow(2).sum();
}

} // namespace

class TestOptimizerFactory : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }

    void reducesQuadratic_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("nesterov");
        QTest::addColumn<double>("weightDecay");
        for (const auto &name : optimizerNames()) {
            const QString n = QString::fromStdString(name);
            QTest::newRow(qPrintable(n)) << n << false << 0.0;
            QTest::newRow(qPrintable(n + " decay")) << n << false << 1e-3;
        }
        QTest::newRow("sgd nesterov") << "sgd" << true << 0.0;
    }
    void reducesQuadratic()
    {
        QFETCH(QString, name);
        QFETCH(bool, nesterov);
        QFETCH(double, weightDecay);
        OptimizerConfig config = configFor(name.toStdString());
        config.nesterov = nesterov;
        config.weightDecay = weightDecay;
        auto w = torch::zeros({4}, torch::requires_grad());
        auto optimizer = makeOptimizer(config, {w});
        QVERIFY2(optimizer.has_value(), optimizer ? "" : optimizer.error().toString().c_str());
        const double initial = quadraticLoss(w).item<double>();
        for (int step = 0; step < 50; ++step) {
            (*optimizer)->zero_grad();
            quadraticLoss(w).backward();
            (*optimizer)->step();
        }
        const double final = quadraticLoss(w).item<double>();
        QVERIFY2(std::isfinite(final) && final < 0.25 * initial,
                 qPrintable(QString("%1 -> %2").arg(initial).arg(final)));
    }

    void learningRateOnEveryGroup_data()
    {
        QTest::addColumn<QString>("name");
        for (const auto &name : optimizerNames())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void learningRateOnEveryGroup()
    {
        QFETCH(QString, name);
        auto a = torch::zeros({2}, torch::requires_grad());
        auto b = torch::zeros({3}, torch::requires_grad());
        auto optimizer = makeOptimizer(configFor(name.toStdString()), {a});
        QVERIFY(optimizer.has_value());
        auto &opt = **optimizer;
        opt.add_param_group(torch::optim::OptimizerParamGroup({b}));
        QCOMPARE(opt.param_groups().size(), std::size_t(2));
        QCOMPARE(learningRate(opt), 0.05);
        setLearningRate(opt, 0.0123);
        QCOMPARE(learningRate(opt), 0.0123);
        for (const auto &group : opt.param_groups())
            QCOMPARE(group.options().get_lr(), 0.0123);
    }

    void zeroRateFreezesSgd()
    {
        auto w = torch::ones({3}, torch::requires_grad());
        auto optimizer = makeOptimizer(configFor("sgd"), {w});
        QVERIFY(optimizer.has_value());
        setLearningRate(**optimizer, 0.0);
        (w * w).sum().backward();
        (*optimizer)->step();
        QVERIFY(torch::equal(w, torch::ones({3})));
    }

    void adamwDecouplesWeightDecay()
    {
        // Zero gradient: AdamW still shrinks w by lr·wd·w = 0.1·0.5·1 → 0.95; Adam's L2 decay
        // becomes the gradient 0.5, and its first bias-corrected step is lr·g/|g| → 0.9.
        const std::pair<const char *, float> cases[]{{"adamw", 0.95f}, {"adam", 0.9f}};
        for (const auto &[name, expected] : cases) {
            OptimizerConfig config = configFor(name);
            config.lr = 0.1;
            config.weightDecay = 0.5;
            auto w = torch::ones({1}, torch::requires_grad());
            auto optimizer = makeOptimizer(config, {w});
            QVERIFY(optimizer.has_value());
            (w * 0.0).sum().backward();
            (*optimizer)->step();
            QVERIFY2(std::fabs(w.item<float>() - expected) < 1e-5, name);
        }
    }

    void badConfigs_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<double>("lr");
        QTest::addColumn<double>("momentum");
        QTest::addColumn<bool>("nesterov");
        QTest::addColumn<double>("weightDecay");
        QTest::addColumn<QString>("context");
        QTest::newRow("nesterov without momentum")
            << "sgd" << 0.1 << 0.0 << true << 0.0 << "optimizer.nesterov";
        QTest::newRow("unknown name") << "lamb" << 0.1 << 0.9 << false << 0.0 << "optimizer.name";
        QTest::newRow("zero lr") << "adam" << 0.0 << 0.9 << false << 0.0 << "optimizer.lr";
        QTest::newRow("nan lr") << "adamw" << std::nan("") << 0.9 << false << 0.0 << "optimizer.lr";
        // Only LibTorch checks this one: its c10::Error must come back as an Error.
        QTest::newRow("negative decay") << "sgd" << 0.1 << 0.9 << false << -1.0 << "optimizer";
    }
    void badConfigs()
    {
        QFETCH(QString, name);
        QFETCH(double, lr);
        QFETCH(double, momentum);
        QFETCH(bool, nesterov);
        QFETCH(double, weightDecay);
        QFETCH(QString, context);
        OptimizerConfig config;
        config.name = name.toStdString();
        config.lr = lr;
        config.momentum = momentum;
        config.nesterov = nesterov;
        config.weightDecay = weightDecay;
        const auto optimizer = makeOptimizer(config, {torch::zeros({2}, torch::requires_grad())});
        QVERIFY(!optimizer.has_value());
        QCOMPARE(optimizer.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(QString::fromStdString(optimizer.error().context), context);
    }

    void noParameters()
    {
        const auto optimizer = makeOptimizer(configFor("adamw"), {});
        QVERIFY(!optimizer.has_value());
        QCOMPARE(optimizer.error().code, ErrorCode::InvalidArgument);
    }
};

LATHE_TEST_GUILESS_MAIN(TestOptimizerFactory)
#include "tst_optimizer_factory.moc"
