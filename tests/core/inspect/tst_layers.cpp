// Layers and feature maps of a trained CNN: the stages with their shapes, and a stage's
// captured output equal to a forward pass written out by hand.
#include "core/inspect/layers.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QtTest>

using namespace lathe;
using namespace lathe::inspect;
using namespace lathe::testing;

namespace {

template<typename Impl>
Impl &stage(model::Net &net, const std::string &name)
{
    auto *module = net->named_children()[name]->as<Impl>();
    if (!module)
        qFatal("stage %s has another type", name.c_str());
    return *module;
}

} // namespace

class TestLayers : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::optional<train::OpenedRun> m_model;

private Q_SLOTS:
    void initTestCase()
    {
        const auto db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        trainRun(db, tinyConfig(600, 1), "tiny");
        auto loaded = train::openRun(db, "tiny");
        QVERIFY_OK(loaded);
        m_model = std::move(*loaded);
    }

    void listsEveryStageWithItsShape()
    {
        auto &net = m_model->net;
        const auto layers = listLayers(net, m_model->inputShape);
        std::vector<std::string> names;
        for (const auto &l : layers)
            names.push_back(l.name);
        QCOMPARE(names, net->stageNames());
        const std::map<std::string, std::vector<std::int64_t>> expected{
            {"conv1", {8, 28, 28}}, {"pool1", {8, 14, 14}}, {"conv2", {16, 14, 14}},
            {"pool2", {16, 7, 7}},  {"flatten", {784}},     {"head", {10}}};
        for (const auto &l : layers) {
            if (auto it = expected.find(l.name); it != expected.end())
                QCOMPARE(l.shape, it->second);
            QCOMPARE(l.spatial, l.shape.size() == 3);
        }
        QCOMPARE(lastSpatialLayer(layers), std::string("pool2"));
    }

    void listingLeavesTheNetAsItWas()
    {
        auto &net = m_model->net;
        auto &bn = stage<torch::nn::BatchNorm2dImpl>(net, "bn1");
        const auto mean = bn.running_mean.clone();
        net->train();
        const auto layers = listLayers(net, m_model->inputShape);
        QVERIFY(net->is_training());
        net->eval();
        QVERIFY(torch::equal(mean, bn.running_mean));
        QCOMPARE(layers.size(), net->stageNames().size());
    }

    void unrunnableShapeStillListsNames()
    {
        const auto layers = listLayers(m_model->net, {3, 5, 5});
        QCOMPARE(layers.size(), m_model->net->stageNames().size());
        QVERIFY(layers.front().shape.empty());
        QCOMPARE(lastSpatialLayer(layers), std::string());
    }

    void featureMapsEqualAManualForward()
    {
        auto &net = m_model->net;
        auto image = m_model->testImage(7);
        QVERIFY_OK(image);
        const auto x = m_model->prepare(*image);
        torch::NoGradGuard noGrad;
        auto y = stage<torch::nn::Conv2dImpl>(net, "conv1").forward(x);
        const auto conv1 = y.clone();
        y = torch::relu(stage<torch::nn::BatchNorm2dImpl>(net, "bn1").forward(y));
        const auto relu1 = y.clone();
        y = torch::max_pool2d(y, 2);
        y = stage<torch::nn::Conv2dImpl>(net, "conv2").forward(y);
        y = torch::relu(stage<torch::nn::BatchNorm2dImpl>(net, "bn2").forward(y));
        const auto pool2 = torch::max_pool2d(y, 2);
        const std::vector<std::pair<std::string, torch::Tensor>> cases{
            {"conv1", conv1}, {"relu1", relu1}, {"pool2", pool2}};
        for (const auto &[layer, manual] : cases) {
            auto maps = featureMaps(net, x, layer);
            QVERIFY_OK(maps);
            QCOMPARE(maps->sizes().vec(), manual[0].sizes().vec());
            QVERIFY2(torch::allclose(*maps, manual[0], 1e-5, 1e-5), layer.c_str());
            QVERIFY(!maps->requires_grad());
        }
        QVERIFY(pool2.abs().sum().item<double>() > 0.0);
    }

    void nonSpatialStageGivesItsVector()
    {
        auto image = m_model->testImage(0);
        QVERIFY_OK(image);
        auto head = featureMaps(m_model->net, m_model->prepare(*image), "head");
        QVERIFY_OK(head);
        QCOMPARE(head->sizes().vec(), (std::vector<std::int64_t>{10}));
    }

    void unknownLayerListsTheStages()
    {
        auto maps = featureMaps(m_model->net, torch::zeros({1, 1, 28, 28}), "conv9");
        QVERIFY(!maps);
        QCOMPARE(maps.error().code, ErrorCode::InvalidArgument);
        const auto text = maps.error().toString();
        QVERIFY2(text.find("\"conv9\"") != std::string::npos, text.c_str());
        QVERIFY2(text.find("conv1, bn1, relu1, pool1, conv2") != std::string::npos, text.c_str());
    }

    void wrongInputIsAnError()
    {
        auto maps = featureMaps(m_model->net, torch::zeros({2, 1, 28, 28}), "conv1");
        QVERIFY(!maps);
        QCOMPARE(maps.error().code, ErrorCode::InvalidArgument);
        auto wrongSize = featureMaps(m_model->net, torch::zeros({1, 3, 28, 28}), "conv1");
        QVERIFY(!wrongSize);
    }
};

LATHE_TEST_GUILESS_MAIN(TestLayers)
#include "tst_layers.moc"
