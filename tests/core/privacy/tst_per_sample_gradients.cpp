#include "core/model/zoo.h"
#include "core/privacy/per_sample_gradients.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <torch/torch.h>

using namespace lathe;
using privacy::PerSampleGradients;

namespace {

namespace nn = torch::nn;

/// Every supported layer kind, in double precision: convolutions with stride, padding,
/// dilation and groups, group and layer norm, linear layers on 2-D and 3-D inputs.
model::Net everyKindNet()
{
    model::Net net("test");
    net->addStage("conv1", nn::Conv2d(nn::Conv2dOptions(2, 6, 3).stride(2).padding(1)));
    net->addStage("gn1", nn::GroupNorm(3, 6));
    net->addStage("tanh1", nn::Tanh());
    net->addStage("conv2",
                  nn::Conv2d(nn::Conv2dOptions(6, 4, 2).groups(2).dilation(2).bias(false)));
    net->addStage("pool", nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(1)));
    net->addStage("ln", nn::LayerNorm(nn::LayerNormOptions({3}))); // [B, 4, 3, 3]'s last axis
    net->addStage("fc_tokens", nn::Linear(3, 5)); // on the last axis of a 4-D input
    net->addStage("flatten", nn::Flatten());
    net->addStage("relu", nn::ReLU());
    net->addStage("head", nn::Linear(4 * 3 * 5, 3));
    net->to(torch::kDouble);
    return net;
}

/// The reference: one forward and backward per example, its .grad copied.
std::vector<torch::Tensor> loopedGradients(model::Net &net, const torch::Tensor &x,
                                           const torch::Tensor &y, double smoothing)
{
    std::vector<std::vector<torch::Tensor>> perParam;
    std::vector<torch::Tensor> params;
    for (const auto &p : net->parameters())
        if (p.requires_grad())
            params.push_back(p);
    perParam.resize(params.size());
    for (std::int64_t i = 0; i < x.size(0); ++i) {
        net->zero_grad();
        const auto logits = net->forward(x.narrow(0, i, 1));
        torch::nn::functional::cross_entropy(
            logits, y.narrow(0, i, 1),
            torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing))
            .backward();
        for (std::size_t k = 0; k < params.size(); ++k)
            perParam[k].push_back(params[k].grad().clone());
    }
    std::vector<torch::Tensor> out;
    for (auto &list : perParam)
        out.push_back(torch::stack(list));
    return out;
}

void expectMatchesLoop(model::Net &net, const torch::Tensor &x, const torch::Tensor &y,
                       double smoothing)
{
    auto grads = PerSampleGradients::create(net);
    QVERIFY2(grads, grads ? "" : grads.error().toString().c_str());
    torch::Tensor logits;
    double lossSum = 0;
    auto batched = grads->compute(net, x, y, smoothing, logits, lossSum);
    QVERIFY(batched);
    const auto reference = loopedGradients(net, x, y, smoothing);
    QCOMPARE(batched->size(), reference.size());
    QCOMPARE(grads->parameters().size(), reference.size());
    for (std::size_t k = 0; k < reference.size(); ++k) {
        QCOMPARE((*batched)[k].sizes(), reference[k].sizes());
        const double diff = ((*batched)[k] - reference[k]).abs().max().item<double>();
        QVERIFY2(diff < 1e-5,
                 qPrintable(QString("parameter %1: max difference %2").arg(k).arg(diff)));
        QVERIFY(reference[k].abs().max().item<double>() > 1e-6); // not trivially zero
    }
    const auto expected = torch::nn::functional::cross_entropy(
        net->forward(x), y,
        torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing).reduction(
            torch::kSum));
    QVERIFY(std::abs(expected.item<double>() - lossSum) < 1e-9);
    QVERIFY(torch::allclose(logits, net->forward(x)));
}

std::string refusal(const model::ModelSpec &spec)
{
    torch::manual_seed(0);
    auto net = model::buildNet(spec, {1, 28, 28}, 10);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    auto grads = PerSampleGradients::create(*net);
    return grads ? std::string() : grads.error().message + " @ " + grads.error().context;
}

} // namespace

class TestPerSampleGradients : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everyLayerKindMatchesALoopOverExamples()
    {
        torch::manual_seed(1);
        auto net = everyKindNet();
        const auto x = torch::randn({7, 2, 11, 11}, torch::kDouble);
        const auto y = torch::randint(0, 3, {7}, torch::kLong);
        expectMatchesLoop(net, x, y, 0.0);
        expectMatchesLoop(net, x, y, 0.1); // label smoothing
    }

    void zooNetsMatchALoopOverExamples_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::newRow("cnn-tanh") << "cnn-tanh";
        QTest::newRow("cnn-gn") << "cnn-gn";
        QTest::newRow("cnn-gn-tanh") << "cnn-gn-tanh";
        QTest::newRow("mlp") << "mlp";
    }
    void zooNetsMatchALoopOverExamples()
    {
        QFETCH(QString, arch);
        torch::manual_seed(2);
        model::ModelSpec spec;
        spec.arch = arch.toStdString();
        if (spec.arch == "cnn-gn")
            spec.widths = {8, 16};
        auto net = model::buildNet(spec, {1, 28, 28}, 10);
        QVERIFY(net);
        (*net)->to(torch::kDouble);
        const auto x = torch::randn({5, 1, 28, 28}, torch::kDouble);
        const auto y = torch::randint(0, 10, {5}, torch::kLong);
        expectMatchesLoop(*net, x, y, 0.0);
    }

    void frozenLayersAreLeftOut()
    {
        torch::manual_seed(3);
        auto net = everyKindNet();
        for (auto &p : net->named_parameters())
            if (p.key().starts_with("conv1") || p.key() == "head.bias")
                p.value().set_requires_grad(false);
        auto grads = PerSampleGradients::create(net);
        QVERIFY(grads);
        std::size_t trainable = 0;
        for (const auto &p : net->parameters())
            trainable += p.requires_grad() ? 1 : 0;
        QCOMPARE(grads->parameters().size(), trainable);
        const auto x = torch::randn({4, 2, 11, 11}, torch::kDouble);
        const auto y = torch::randint(0, 3, {4}, torch::kLong);
        expectMatchesLoop(net, x, y, 0.0);
    }

    void batchNormIsRefusedNamingTheLayer()
    {
        model::ModelSpec cnn;
        cnn.widths = {8, 16};
        const auto message = refusal(cnn);
        QVERIFY2(message.find("\"bn1\" is batch norm") != std::string::npos, message.c_str());
        QVERIFY2(message.find("\"cnn-gn\"") != std::string::npos, message.c_str());
        QVERIFY2(message.find("@ model.arch") != std::string::npos, message.c_str());

        model::ModelSpec resnet;
        resnet.arch = "resnet-mini";
        const auto inside = refusal(resnet);
        QVERIFY2(inside.find("\"stem_bn\" is batch norm") != std::string::npos, inside.c_str());
    }

    void unsupportedLayersAreRefusedNamingThem()
    {
        model::ModelSpec vit;
        vit.arch = "vit-tiny";
        vit.widths = {16, 1, 2, 7};
        const auto message = refusal(vit);
        QVERIFY2(message.find("layer \"patch_embed\" has no per-example gradients")
                     != std::string::npos,
                 message.c_str());
        model::ModelSpec gn;
        gn.arch = "cnn-gn";
        QCOMPARE(refusal(gn), std::string());
    }
};

LATHE_TEST_GUILESS_MAIN(TestPerSampleGradients)
#include "tst_per_sample_gradients.moc"
