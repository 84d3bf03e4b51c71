// Attributions with known answers: saliency against finite differences, Grad-CAM on a net whose
// weights are set by hand, Integrated Gradients exact on a linear model and complete on a
// trained CNN, occlusion on a net that looks at one corner only.
#include "core/inspect/attribution.h"
#include "core/train/open_run.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QtTest>

using namespace lathe;
using namespace lathe::inspect;
using namespace lathe::testing;

namespace {

// conv 2->3 (3x3) -> tanh -> flatten -> linear to 4 classes, in double precision: smooth, so
// central differences approximate its gradient to ~1e-9.
model::Net smoothNet()
{
    torch::manual_seed(3);
    model::Net net("smooth");
    net->addStage("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 3, 3).padding(1)));
    net->addStage("tanh", torch::nn::Tanh());
    net->addStage("flatten", torch::nn::Flatten());
    net->addStage("head", torch::nn::Linear(3 * 6 * 6, 4));
    net->to(torch::kDouble);
    net->eval();
    return net;
}

// "conv" is a 1x1 conv making channel 0 = x and channel 1 = 1 - x; the head reads channel 0's
// mean for class 0 and channel 1's mean for class 1. So Grad-CAM at "conv" is exactly x / (H*W)
// for class 0 and (1 - x) / (H*W) for class 1.
model::Net handBuiltNet(bool withPool)
{
    model::Net net("hand");
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(1, 2, 1));
    torch::nn::Linear head(2, 2);
    {
        torch::NoGradGuard noGrad;
        conv->weight.copy_(torch::tensor({1.0F, -1.0F}).view({2, 1, 1, 1}));
        conv->bias.copy_(torch::tensor({0.0F, 1.0F}));
        head->weight.copy_(torch::eye(2));
        head->bias.zero_();
    }
    net->addStage("conv", conv);
    if (withPool)
        net->addStage("pool", torch::nn::AvgPool2d(2));
    net->addStage("gap", torch::nn::AdaptiveAvgPool2d(1));
    net->addStage("flatten", torch::nn::Flatten());
    net->addStage("head", head);
    net->eval();
    return net;
}

// An 8x8 image with a bright 4x4 top-left quadrant.
torch::Tensor quadrantImage()
{
    auto x = torch::zeros({1, 1, 8, 8});
    x.narrow(2, 0, 4).narrow(3, 0, 4).fill_(1.0F);
    return x;
}

} // namespace

class TestAttribution : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::optional<train::OpenedRun> m_cnn;

private Q_SLOTS:
    void initTestCase()
    {
        const auto db = std::filesystem::path(m_dir.path().toStdString()) / "lathe.db";
        trainRun(db, tinyConfig(1000, 1), "tiny");
        auto loaded = train::openRun(db, "tiny");
        QVERIFY_OK(loaded);
        m_cnn = std::move(*loaded);
    }

    void saliencyMatchesFiniteDifferences()
    {
        auto net = smoothNet();
        const auto x = torch::randn({1, 2, 6, 6}, torch::kDouble);
        const std::int64_t target = 2;
        auto s = saliency(net, x, target);
        QVERIFY_OK(s);
        QCOMPARE(s->target, target);
        QCOMPARE(s->map.sizes().vec(), (std::vector<std::int64_t>{6, 6}));
        torch::NoGradGuard noGrad;
        QCOMPARE(s->score, net->forward(x)[0][target].item<double>());
        const double eps = 1e-5;
        auto expected = torch::zeros({6, 6}, torch::kDouble);
        for (std::int64_t c = 0; c < 2; ++c)
            for (std::int64_t i = 0; i < 6; ++i)
                for (std::int64_t j = 0; j < 6; ++j) {
                    auto plus = x.clone(), minus = x.clone();
                    plus[0][c][i][j] += eps;
                    minus[0][c][i][j] -= eps;
                    const auto diff = net->forward(plus) - net->forward(minus);
                    const double d = diff[0][target].item<double>() / (2 * eps);
                    expected[i][j] = std::max(expected[i][j].item<double>(), std::abs(d));
                }
        const double worst = (s->map - expected).abs().max().item<double>();
        QVERIFY2(worst < 1e-7, std::to_string(worst).c_str());
        QVERIFY(expected.max().item<double>() > 1e-3);
    }

    void saliencyDefaultsToThePrediction()
    {
        auto net = smoothNet();
        const auto x = torch::randn({1, 2, 6, 6}, torch::kDouble);
        auto s = saliency(net, x);
        QVERIFY_OK(s);
        torch::NoGradGuard noGrad;
        QCOMPARE(s->target, net->forward(x).argmax(1).item<std::int64_t>());
        QVERIFY((s->map >= 0).all().item<bool>());
    }

    void gradCamHasTheHandComputedAnswer()
    {
        auto net = handBuiltNet(false);
        const auto x = quadrantImage();
        auto cam0 = gradCam(net, x, "conv", 0);
        QVERIFY_OK(cam0);
        QVERIFY(torch::allclose(cam0->map, x[0][0] / 64.0, 1e-6, 1e-7));
        QCOMPARE(cam0->score, 0.25); // mean of x
        auto cam1 = gradCam(net, x, "conv", 1);
        QVERIFY_OK(cam1);
        QVERIFY(torch::allclose(cam1->map, (1 - x[0][0]) / 64.0, 1e-6, 1e-7));
        auto predicted = gradCam(net, x, "conv");
        QVERIFY_OK(predicted);
        QCOMPARE(predicted->target, std::int64_t(1)); // 0.75 of the image is dark
    }

    void gradCamUpsamplesACoarseLayer()
    {
        auto net = handBuiltNet(true);
        auto cam = gradCam(net, quadrantImage(), "pool", 0);
        QVERIFY_OK(cam);
        QCOMPARE(cam->map.sizes().vec(), (std::vector<std::int64_t>{8, 8}));
        // The 4x4 map is 1/16 on its top-left 2x2 and 0 elsewhere; bilinear keeps both ends.
        QVERIFY(std::abs(cam->map[0][0].item<double>() - 1.0 / 16) < 1e-7);
        QCOMPARE(cam->map[7][7].item<double>(), 0.0);
        QVERIFY((cam->map >= 0).all().item<bool>());
    }

    void gradCamOnTheTrainedCnn()
    {
        auto image = m_cnn->testImage(0);
        QVERIFY_OK(image);
        auto cam = gradCam(m_cnn->net, m_cnn->prepare(*image), "pool2");
        QVERIFY_OK(cam);
        QCOMPARE(cam->map.sizes().vec(), (std::vector<std::int64_t>{28, 28}));
        QVERIFY(cam->map.max().item<double>() > 0.0);
    }

    void gradCamRefusesBadLayers()
    {
        auto net = handBuiltNet(false);
        auto flat = gradCam(net, quadrantImage(), "flatten");
        QVERIFY(!flat);
        QCOMPARE(flat.error().code, ErrorCode::InvalidArgument);
        QVERIFY(flat.error().message.find("\"flatten\" is not spatial") != std::string::npos);
        auto unknown = gradCam(net, quadrantImage(), "conv7");
        QVERIFY(!unknown);
        QVERIFY2(unknown.error().message.find("conv, gap, flatten, head") != std::string::npos,
                 unknown.error().message.c_str());
        auto badTarget = gradCam(net, quadrantImage(), "conv", 5);
        QVERIFY(!badTarget);
        QVERIFY(badTarget.error().message.find("target class 5") != std::string::npos);
        QVERIFY(!gradCam(net, torch::zeros({2, 1, 8, 8}), "conv"));
    }

    void integratedGradientsExactOnALinearModel()
    {
        torch::manual_seed(5);
        model::Net net("linear");
        net->addStage("flatten", torch::nn::Flatten());
        torch::nn::Linear head(2 * 4 * 4, 3);
        net->addStage("head", head);
        net->to(torch::kDouble);
        const auto x = torch::randn({1, 2, 4, 4}, torch::kDouble);
        IntegratedGradientsOptions options;
        options.steps = 5;
        options.batch = 2;
        options.baselineValue = 0.5;
        auto ig = integratedGradients(net, x, options, 1);
        QVERIFY_OK(ig);
        const auto expected = ((x - 0.5) * head->weight[1].view({1, 2, 4, 4}))[0].sum(0);
        QVERIFY(torch::allclose(ig->attribution.map, expected, 1e-10, 1e-12));
        QVERIFY(ig->completenessError < 1e-10);
    }

    void integratedGradientsAreCompleteOnATrainedCnn()
    {
        for (std::int64_t index : {0, 1, 2}) {
            auto image = m_cnn->testImage(index);
            QVERIFY_OK(image);
            IntegratedGradientsOptions options;
            options.steps = 64;
            options.baselineImage = m_cnn->prepare(torch::zeros_like(*image)); // a black image
            auto ig = integratedGradients(m_cnn->net, m_cnn->prepare(*image), options);
            QVERIFY_OK(ig);
            QCOMPARE(ig->attribution.map.sizes().vec(), (std::vector<std::int64_t>{28, 28}));
            QVERIFY(std::abs(ig->scoreDelta) > 0.5);
            QVERIFY2(ig->completenessError < 0.01, qPrintable(QString("sample %1: sum %2, delta %3")
                                                                  .arg(index)
                                                                  .arg(ig->attributionSum)
                                                                  .arg(ig->scoreDelta)));
        }
    }

    void integratedGradientsStop()
    {
        auto image = m_cnn->testImage(0);
        QVERIFY_OK(image);
        std::stop_source source;
        source.request_stop();
        auto ig = integratedGradients(m_cnn->net, m_cnn->prepare(*image), {}, std::nullopt,
                                      source.get_token());
        QVERIFY(!ig);
        QCOMPARE(ig.error().code, ErrorCode::Cancelled);
        IntegratedGradientsOptions none;
        none.steps = 0;
        QVERIFY(!integratedGradients(m_cnn->net, m_cnn->prepare(*image), none));
    }

    void occlusionFindsTheOnlyRegionThatMatters()
    {
        // Class 0 is the mean of channel 0 = the image: occluding the bright quadrant drops it.
        auto net = handBuiltNet(false);
        OcclusionOptions options;
        options.window = 2;
        options.stride = 2;
        auto map = occlusion(net, quadrantImage(), options, 0);
        QVERIFY_OK(map);
        QCOMPARE(map->map.sizes().vec(), (std::vector<std::int64_t>{8, 8}));
        // Each 2x2 window over the bright quadrant removes 4/64 of the score.
        QVERIFY(torch::allclose(map->map, quadrantImage()[0][0] * (4.0 / 64), 1e-6, 1e-7));
        std::stop_source source;
        source.request_stop();
        auto stopped = occlusion(net, quadrantImage(), {}, 0, source.get_token());
        QVERIFY(!stopped);
        QCOMPARE(stopped.error().code, ErrorCode::Cancelled);
    }

    void occlusionAveragesOverlappingWindows()
    {
        auto net = handBuiltNet(false);
        auto map = occlusion(net, quadrantImage(), {3, 1, 0.0}, 0);
        QVERIFY_OK(map);
        // Far from the quadrant no window covers a bright pixel; inside, every window does.
        QCOMPARE(map->map[7][7].item<double>(), 0.0);
        QVERIFY(std::abs(map->map[0][0].item<double>() - 9.0 / 64) < 1e-6);
        QVERIFY(map->map[3][3].item<double>() < 9.0 / 64);
    }
};

LATHE_TEST_GUILESS_MAIN(TestAttribution)
#include "tst_attribution.moc"
