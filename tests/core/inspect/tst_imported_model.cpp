// Inspection of a model imported from PyTorch (torchvision's ResNet-18, scripted): its layers
// with their output shapes, feature maps and Grad-CAM on any spatial layer, saliency,
// integrated gradients (complete) and occlusion, as on a zoo model, and fast enough for a
// click in the Visualise panel.
#include "core/formats/torchscript_import.h"
#include "core/inspect/attribution.h"
#include "core/inspect/layers.h"
#include "tests/python_models.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

using namespace lathe;

class TestImportedModel : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    model::Net m_net{nullptr};
    torch::Tensor m_input;

    // The median of five timed calls of `run`, in milliseconds, after one untimed call.
    template<typename Run>
    static double medianMs(Run run)
    {
        run();
        std::vector<double> ms;
        for (int i = 0; i < 5; ++i) {
            QElapsedTimer timer;
            timer.start();
            run();
            ms.push_back(double(timer.nsecsElapsed()) / 1e6);
        }
        std::sort(ms.begin(), ms.end());
        return ms[2];
    }

private Q_SLOTS:
    void initTestCase()
    {
        const auto file = m_dir.filePath("resnet18.pt");
        const auto problem = testing::savePythonModel(testing::kResnet18, file);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        auto net = formats::netFromTorchScript(file.toStdString(), {1, 28, 28}, 10);
        QVERIFY_OK(net);
        m_net = *net;
        m_net->eval();
        torch::manual_seed(3);
        m_input = torch::rand({1, 1, 28, 28});
    }

    void layersHaveShapes()
    {
        const auto layers = inspect::listLayers(m_net, {1, 28, 28});
        QCOMPARE(layers.size(), m_net->layerNames().size());
        std::map<std::string, inspect::LayerInfo> byName;
        for (const auto &layer : layers)
            byName[layer.name] = layer;
        QCOMPARE(byName.at("conv1").shape, (std::vector<std::int64_t>{64, 14, 14}));
        QCOMPARE(byName.at("layer2.0.conv2").shape, (std::vector<std::int64_t>{128, 4, 4}));
        QCOMPARE(byName.at("layer3").shape, (std::vector<std::int64_t>{256, 2, 2}));
        QCOMPARE(byName.at("fc").shape, (std::vector<std::int64_t>{10}));
        QVERIFY(byName.at("layer3.1.conv2").spatial);
        QVERIFY(!byName.at("fc").spatial);
        // layer4 is 1x1 on 28x28 images: the default heatmap layer is the last larger one.
        QCOMPARE(inspect::lastSpatialLayer(layers), std::string("layer3"));
    }

    void featureMapsAndGradCamOnAnySpatialLayer()
    {
        auto maps = inspect::featureMaps(m_net, m_input, "layer2.0.conv2");
        QVERIFY_OK(maps);
        QCOMPARE(maps->sizes().vec(), (std::vector<std::int64_t>{128, 4, 4}));
        auto cam = inspect::gradCam(m_net, m_input, "layer2");
        QVERIFY_OK(cam);
        QCOMPARE(cam->map.sizes().vec(), (std::vector<std::int64_t>{28, 28}));
        QVERIFY(cam->map.min().item<double>() >= 0.0);
        QVERIFY(torch::isfinite(cam->map).all().item<bool>());
        const double mapsMs
            = medianMs([&] { (void)inspect::featureMaps(m_net, m_input, "layer2.0.conv2"); });
        const double camMs = medianMs([&] { (void)inspect::gradCam(m_net, m_input, "layer3"); });
        qInfo("ResNet-18, one 28x28 sample: feature maps %.1f ms, Grad-CAM %.1f ms", mapsMs, camMs);
        auto missing = inspect::gradCam(m_net, m_input, "layer9");
        QVERIFY(!missing);
        QVERIFY(QString::fromStdString(missing.error().message).contains("layer3.1.conv2"));
        auto flat = inspect::gradCam(m_net, m_input, "fc");
        QVERIFY(!flat);
        QVERIFY(QString::fromStdString(flat.error().message).contains("not spatial"));
    }

    void attributionsCoverTheWholeModel()
    {
        auto saliency = inspect::saliency(m_net, m_input);
        QVERIFY_OK(saliency);
        QVERIFY(saliency->map.max().item<double>() > 0.0);
        inspect::IntegratedGradientsOptions options;
        options.steps = 64;
        auto ig = inspect::integratedGradients(m_net, m_input, options);
        QVERIFY_OK(ig);
        QVERIFY2(ig->completenessError < 0.05, qPrintable(QString::number(ig->completenessError)));
        auto occluded = inspect::occlusion(m_net, m_input);
        QVERIFY_OK(occluded);
        QCOMPARE(occluded->map.sizes().vec(), (std::vector<std::int64_t>{28, 28}));
    }
};

LATHE_TEST_GUILESS_MAIN(TestImportedModel)
#include "tst_imported_model.moc"
