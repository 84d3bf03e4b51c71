#pragma once

// Shared by the TorchScript and ONNX export tests: seeded nets of every built-in architecture
// trained a few steps on real Fashion-MNIST images (so batch-norm statistics and weights are
// not their defaults), raw float32 files for peers in other processes, and nets that cannot
// be exported.

#include "core/data/fashion_mnist.h"
#include "core/model/net.h"
#include "core/model/zoo.h"
#include "tests/python_models.h"

#include <QDir>
#include <QStandardPaths>
#include <QtTest>
#include <torch/torch.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lathe::testing {

/// The built-in architectures both exporters support, and "assorted": a net of the other
/// modules and options they map (see assortedNet()).
inline const std::vector<std::string> &exportArchitectures()
{
    static const std::vector<std::string> archs{"mlp", "cnn", "resnet-mini", "vit-tiny",
                                                "assorted"};
    return archs;
}

/// The mapped modules and options the zoo's nets do not use: a biased strided convolution,
/// GELU, a batch norm after no convolution, average pooling with padding, a grouped dilated
/// convolution with a non-affine batch norm folded in, padded max pooling, adaptive pooling to
/// 2x2, an identity, flattening from dim 2, a non-affine layer norm, a bias-free linear on
/// [B, T, D]. [B,1,28,28] -> [B,10].
inline model::Net assortedNet()
{
    using namespace torch::nn;
    model::Net net("assorted");
    net->addStage("conv1", Conv2d(Conv2dOptions(1, 6, 3).stride(2).padding(1)));
    net->addStage("gelu", GELU());
    net->addStage("bn1", BatchNorm2d(6));
    net->addStage("avg",
                  AvgPool2d(AvgPool2dOptions(3).stride(2).padding(1).count_include_pad(false)));
    net->addStage("conv2",
                  Conv2d(Conv2dOptions(6, 8, 3).padding(2).dilation(2).groups(2).bias(false)));
    net->addStage("bn2", BatchNorm2d(BatchNorm2dOptions(8).affine(false)));
    net->addStage("max", MaxPool2d(MaxPool2dOptions(3).stride(2).padding(1)));
    net->addStage("adaptive", AdaptiveAvgPool2d(2));
    net->addStage("identity", Identity());
    net->addStage("tokens", Flatten(FlattenOptions().start_dim(2)));
    net->addStage("norm", LayerNorm(LayerNormOptions({4}).elementwise_affine(false)));
    net->addStage("mix", Linear(LinearOptions(4, 5).bias(false)));
    net->addStage("flatten", Flatten());
    net->addStage("dropout", Dropout(0.1));
    net->addStage("head", Linear(40, 10));
    return net;
}

inline std::shared_ptr<data::TensorDataset> fashionTestSet()
{
    static const auto dataset = [] {
        auto loaded = data::loadFashionMnist(LATHE_TEST_FASHION_DIR, data::Split::Test);
        if (!loaded)
            qFatal("%s", loaded.error().toString().c_str());
        return *loaded;
    }();
    return dataset;
}

/// One QtTest row per architecture, column "arch".
inline void addArchitectureRows()
{
    QTest::addColumn<QString>("arch");
    for (const auto &arch : exportArchitectures())
        QTest::newRow(arch.c_str()) << QString::fromStdString(arch);
}

/// Fashion-MNIST test images [first, first + count) as float32 [count,1,28,28] in [0, 1].
inline torch::Tensor fashionImages(std::int64_t first, std::int64_t count)
{
    return fashionTestSet()->images(torch::arange(first, first + count));
}

/// A seeded `arch` net (dropout 0.1) after 8 SGD steps on test images 100..611, in eval mode.
/// Cached per architecture: the tests only read it.
inline model::Net trainedNet(const std::string &arch)
{
    static std::map<std::string, model::Net> cache;
    if (auto found = cache.find(arch); found != cache.end())
        return found->second;
    torch::manual_seed(7);
    auto net = arch == "assorted"
                   ? Result<model::Net>(assortedNet())
                   : model::buildNet(model::ModelSpec{arch, {}, 0.1}, {1, 28, 28}, 10);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    (*net)->train();
    torch::optim::SGD sgd((*net)->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
    const auto labels = fashionTestSet()->labels();
    for (std::int64_t step = 0; step < 8; ++step) {
        const auto first = 100 + step * 64;
        auto loss = torch::cross_entropy_loss((*net)->forward(fashionImages(first, 64)),
                                              labels.slice(0, first, first + 64));
        sgd.zero_grad();
        loss.backward();
        sgd.step();
    }
    (*net)->eval();
    cache.emplace(arch, *net);
    return *net;
}

/// net->forward in eval mode without autograd.
inline torch::Tensor reference(model::Net &net, const torch::Tensor &x)
{
    torch::NoGradGuard noGrad;
    net->eval();
    return net->forward(x);
}

inline double maxAbsDiff(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().max().item<double>();
}

/// Writes a tensor's values as raw little-endian float32 (what numpy.fromfile and a Node
/// Float32Array read).
inline void writeFloats(const QString &path, const torch::Tensor &tensor)
{
    const auto values = tensor.to(torch::kFloat32).contiguous();
    std::ofstream out(path.toStdString(), std::ios::binary);
    out.write(static_cast<const char *>(values.data_ptr()),
              static_cast<std::streamsize>(values.numel() * sizeof(float)));
    QVERIFY2(out.good(), qPrintable("cannot write " + path));
}

/// Reads raw float32 values; an empty tensor when the file is missing.
inline torch::Tensor readFloats(const QString &path)
{
    std::ifstream in(path.toStdString(), std::ios::binary | std::ios::ate);
    if (!in)
        return torch::empty({0});
    const auto size = static_cast<std::int64_t>(in.tellg());
    auto values = torch::empty({size / static_cast<std::int64_t>(sizeof(float))});
    in.seekg(0);
    in.read(static_cast<char *>(values.data_ptr()), size);
    return values;
}

/// The files in `dir`, sorted: what a failed export must leave as it was.
inline QStringList listing(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

// A module no exporter knows: its forward is arbitrary C++.
class ScaleImpl : public torch::nn::Module
{
public:
    torch::Tensor forward(torch::Tensor x) { return x * 2; }
};
TORCH_MODULE(Scale);

// A Sequential usable as a stage (the torchvision pattern: AnyModule needs a plain forward).
class BlockImpl : public torch::nn::SequentialImpl
{
public:
    using SequentialImpl::SequentialImpl;
    torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(x); }
};
TORCH_MODULE(Block);

/// A net an exporter must refuse, the input shape to export it for, and the words the error
/// must contain ("%1" stands for the format, "ONNX" or "TorchScript").
struct BadNet
{
    const char *row;
    std::function<model::Net()> build;
    std::vector<std::int64_t> inputShape;
    QString expected;

    QString expectedFor(const QString &format) const
    {
        return expected.contains("%1") ? expected.arg(format) : expected;
    }
};

inline std::vector<BadNet> badNets()
{
    using namespace torch::nn;
    auto custom = [] {
        model::Net net("custom");
        net->addStage("flatten", Flatten());
        net->addStage("double", Scale());
        net->addStage("head", Linear(784, 10));
        return net;
    };
    auto nested = [] {
        model::Net net("custom");
        net->addStage("block", Block(Flatten(), Scale()));
        net->addStage("head", Linear(784, 10));
        return net;
    };
    auto ceilPool = [] {
        model::Net net("custom");
        net->addStage("pool", MaxPool2d(MaxPool2dOptions(3).ceil_mode(true)));
        net->addStage("flatten", Flatten());
        net->addStage("head", Linear(100, 10));
        return net;
    };
    auto batchStats = [] {
        model::Net net("custom");
        net->addStage("conv", Conv2d(Conv2dOptions(1, 4, 3).bias(false)));
        net->addStage("bn", BatchNorm2d(BatchNorm2dOptions(4).track_running_stats(false)));
        net->addStage("flatten", Flatten());
        net->addStage("head", Linear(4 * 26 * 26, 10));
        return net;
    };
    auto cnn = [] { return trainedNet("cnn"); };
    return {
        {"custom stage", custom, {1, 28, 28}, "stage \"double\" (ScaleImpl) has no %1 mapping"},
        {"custom module in a Sequential",
         nested,
         {1, 28, 28},
         "stage \"block.1\" (ScaleImpl) has no %1 mapping"},
        {"ceil-mode pooling",
         ceilPool,
         {1, 28, 28},
         "stage \"pool\" (MaxPool2dImpl) uses ceil-mode pooling, which has no %1 mapping"},
        {"batch norm without running stats",
         batchStats,
         {1, 28, 28},
         "stage \"bn\" (BatchNorm2dImpl) uses batch statistics"},
        {"input shape that does not fit",
         cnn,
         {3, 28, 28},
         "input shape {3, 28, 28} does not fit the net"},
    };
}

} // namespace lathe::testing
