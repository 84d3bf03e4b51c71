#include "core/model/vit.h"
#include "core/model/zoo.h"
#include "tests/test_registry.h"

#include <QtTest>
#include <torch/torch.h>

using namespace lathe::model;

namespace {

Net buildVit(std::vector<std::int64_t> widths = {}, double dropout = 0.0)
{
    torch::manual_seed(0);
    auto net = buildNet(ModelSpec{"vit-tiny", std::move(widths), dropout}, {1, 28, 28}, 10);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    return *net;
}

// A learnable toy task: the class is the quadrant (of four) that holds a bright square.
std::pair<torch::Tensor, torch::Tensor> quadrantBatch(std::int64_t n)
{
    auto images = torch::rand({n, 1, 28, 28}) * 0.2;
    auto labels = torch::randint(4, {n}, torch::kLong);
    for (std::int64_t i = 0; i < n; ++i) {
        const auto q = labels[i].item<std::int64_t>();
        const auto r = (q / 2) * 14, c = (q % 2) * 14;
        images[i].slice(1, r + 3, r + 11).slice(2, c + 3, c + 11).fill_(1.0);
    }
    return {images, labels};
}

} // namespace

class TestVit : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void buildsWithNamedStages()
    {
        auto net = buildVit();
        QCOMPARE(QString::fromStdString(net->arch()), QStringLiteral("vit-tiny"));
        const std::vector<std::string> expected{"patch_embed", "block1", "block2",      "block3",
                                                "block4",      "norm",   "class_token", "head"};
        QCOMPARE(net->stageNames(), expected);
        QCOMPARE(net->attentionStageNames(),
                 (std::vector<std::string>{"block1", "block2", "block3", "block4"}));
        // dim 64, 4 blocks of (qkv 3*64*65 + proj 64*65 + mlp 2*64*128+128+64 + 2 LN):
        // about 0.14M parameters.
        const auto count = net->parameterCount();
        qInfo("vit-tiny default parameters: %lld", static_cast<long long>(count));
        QVERIFY(count > 100000 && count < 200000);
    }
    void forwardShapes()
    {
        auto net = buildVit({32, 2, 2, 4});
        Taps taps;
        taps.all = true;
        auto out = net->forward(torch::rand({3, 1, 28, 28}), &taps);
        QCOMPARE(out.sizes().vec(), (std::vector<std::int64_t>{3, 10}));
        // patch 4 on 28x28: 7x7 patches + the class token.
        QCOMPARE(taps.outputs.at("patch_embed").sizes().vec(),
                 (std::vector<std::int64_t>{3, 50, 32}));
        QCOMPARE(taps.outputs.at("block2").sizes().vec(), (std::vector<std::int64_t>{3, 50, 32}));
        QCOMPARE(taps.outputs.at("class_token").sizes().vec(), (std::vector<std::int64_t>{3, 32}));
        QVERIFY(taps.attention.empty()); // not asked for
    }
    void attentionRowsSumToOne()
    {
        auto net = buildVit({}, 0.1);
        net->eval();
        Taps taps;
        taps.recordAttention = true;
        net->forward(torch::rand({2, 1, 28, 28}), &taps);
        QCOMPARE(taps.attention.size(), size_t(4));
        for (const auto &[stage, weights] : taps.attention) {
            QCOMPARE(weights.sizes().vec(), (std::vector<std::int64_t>{2, 4, 17, 17}));
            QVERIFY(weights.ge(0).all().item<bool>());
            auto error = (weights.sum(-1) - 1.0).abs().max().item<double>();
            const auto what = stage + ": max |row sum - 1| = " + std::to_string(error);
            QVERIFY2(error < 1e-5, what.c_str());
            QVERIFY(!weights.requires_grad());
        }
        // Heads differ: the weights are per head, not averaged.
        const auto &first = taps.attention.at("block1");
        QVERIFY(!torch::allclose(first.select(1, 0), first.select(1, 1)));
    }
    void capturedAttentionMatchesManualRecomputation()
    {
        auto net = buildVit();
        net->eval();
        Taps taps;
        taps.wanted = {"patch_embed"};
        taps.recordAttention = true;
        net->forward(torch::rand({2, 1, 28, 28}), &taps);

        auto block = net->named_children()["block1"];
        auto children = block->named_children();
        auto x = children["norm1"]->as<torch::nn::LayerNorm>()->forward(
            taps.outputs.at("patch_embed"));
        auto qkv = children["qkv"]->as<torch::nn::Linear>()->forward(x).chunk(3, -1);
        auto split = [](const torch::Tensor &t) { return t.view({2, 17, 4, 16}).transpose(1, 2); };
        auto scores = torch::matmul(split(qkv[0]), split(qkv[1]).transpose(-2, -1)) / 4.0;
        auto expected = torch::softmax(scores, -1);
        QVERIFY(torch::allclose(taps.attention.at("block1"), expected, 1e-5, 1e-6));
    }
    void keepGraphKeepsAttentionDifferentiable()
    {
        auto net = buildVit();
        Taps taps;
        taps.recordAttention = true;
        taps.keepGraph = true;
        net->forward(torch::rand({1, 1, 28, 28}), &taps);
        auto weights = taps.attention.at("block3");
        QVERIFY(weights.requires_grad());
        weights.select(2, 0).sum().backward();
        QVERIFY(net->named_parameters()["block1.qkv.weight"].grad().defined());
    }
    void fewStepsReduceLoss()
    {
        auto net = buildVit({32, 2, 2, 7});
        auto [images, labels] = quadrantBatch(64);
        torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(3e-3));
        auto lossOf = [&] { return torch::cross_entropy_loss(net->forward(images), labels); };
        const double before = lossOf().item<double>();
        for (int step = 0; step < 30; ++step) {
            optimizer.zero_grad();
            auto loss = lossOf();
            loss.backward();
            optimizer.step();
        }
        const double after = lossOf().item<double>();
        qInfo("loss %.3f -> %.3f after 30 steps", before, after);
        QVERIFY(after < 0.75 * before);
    }
    void badWidths_data()
    {
        QTest::addColumn<QList<qint64>>("widths");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("count") << QList<qint64>{64, 4, 4} << "4 widths";
        QTest::newRow("heads") << QList<qint64>{64, 4, 5, 7} << "multiple of heads";
        QTest::newRow("patch") << QList<qint64>{64, 4, 4, 5} << "must divide";
    }
    void badWidths()
    {
        QFETCH(QList<qint64>, widths);
        QFETCH(QString, phrase);
        auto net
            = buildNet(ModelSpec{"vit-tiny", {widths.begin(), widths.end()}, 0.0}, {1, 28, 28}, 10);
        QVERIFY(!net.has_value());
        QCOMPARE(QString::fromStdString(net.error().context), QStringLiteral("model.widths"));
        QVERIFY2(QString::fromStdString(net.error().message).contains(phrase),
                 net.error().message.c_str());
    }
};

LATHE_TEST_GUILESS_MAIN(TestVit)
#include "tst_vit.moc"
