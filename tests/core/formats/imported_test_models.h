#pragma once

// Shared by the tests that export imported TorchScript models: PyTorch models (python_models.h)
// saved once per test process and imported with netFromTorchScript for 1x28x28 images and
// 10 classes, and the models the lowering must refuse or extend.

#include "core/formats/torchscript_import.h"
#include "core/model/net.h"
#include "tests/python_models.h"

#include <QTemporaryDir>
#include <QtTest>

#include <map>
#include <string>
#include <vector>

namespace lathe::testing {

/// A traced CNN whose output is 8 pooled features and no Linear: the importer appends stages
/// "flatten" and "head".
inline const PythonModel kPooledFeatures{
    "pooled_features",
    "m = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),\n"
    "                  nn.AdaptiveAvgPool2d(1), nn.Flatten())",
    true};

/// A traced model with nearest-neighbour upsampling (layer "1"), which no exporter maps, and 4
/// pooled features (the importer appends "flatten" and "head", so that the TorchScript writer
/// lowers it too).
inline const PythonModel kUpsampling{
    "upsampling",
    "m = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Upsample(scale_factor=2),\n"
    "                  nn.AdaptiveAvgPool2d(1), nn.Flatten())",
    true};

/// The torchvision models and the traced ones that both exporters must reproduce.
inline const std::vector<PythonModel> &importedModels()
{
    static const std::vector<PythonModel> models{kResnet18, kMobileNetV3Small, kTracedCnn,
                                                 kSmallVit, kPooledFeatures};
    return models;
}

/// One QtTest row per imported model, column "model" (its index in importedModels()).
inline void addImportedModelRows()
{
    QTest::addColumn<int>("model");
    for (std::size_t i = 0; i < importedModels().size(); ++i)
        QTest::newRow(importedModels()[i].name) << static_cast<int>(i);
}

/// `model` saved by PyTorch into a folder that lives as long as the test process; qFatal when
/// Python cannot build it (python3-torchvision is in scripts/packages.txt).
inline QString savedModel(const PythonModel &model)
{
    static QTemporaryDir dir;
    static std::map<std::string, QString> files;
    if (const auto found = files.find(model.name); found != files.end())
        return found->second;
    const auto file = dir.filePath(QString(model.name) + ".pt");
    if (const auto error = savePythonModel(model, file); !error.isEmpty())
        qFatal("%s", qPrintable(error));
    return files[model.name] = file;
}

/// `model` imported as a Net for 1x28x28 images and 10 classes, in eval mode, every parameter
/// moved by seeded noise (std 0.02): torchvision zero-initialises the ViT head, and
/// MobileNetV3's fresh logits are ~1e-10, which would make any comparison vacuous. Not cached:
/// a test may change it.
inline model::Net importedNet(const PythonModel &model)
{
    auto net = formats::netFromTorchScript(savedModel(model).toStdString(), {1, 28, 28}, 10);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    torch::manual_seed(3);
    torch::NoGradGuard noGrad;
    for (auto &parameter : (*net)->parameters())
        parameter.add_(torch::randn_like(parameter) * 0.02);
    (*net)->eval();
    return *net;
}

} // namespace lathe::testing
