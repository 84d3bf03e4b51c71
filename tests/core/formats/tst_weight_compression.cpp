#include "core/formats/safetensors.h"
#include "core/formats/weight_compression.h"
#include "core/model/zoo.h"
#include "core/train/trainer.h"

#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QtTest>
#include <torch/torch.h>

#include <cmath>
#include <limits>

using namespace lathe;
using namespace lathe::formats;

namespace {

model::Net freshNet(int seed)
{
    torch::manual_seed(seed);
    model::ModelSpec spec;
    spec.arch = "cnn";
    spec.widths = {8, 16};
    auto net = model::buildNet(spec, {1, 28, 28}, 10);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    return *net;
}

// Two linear layers whose weights are all `value`: every |w| ties.
model::Net tiedNet(float value)
{
    model::Net net("tied");
    net->addStage("fc1", torch::nn::Linear(2, 2));
    net->addStage("fc2", torch::nn::Linear(2, 2));
    torch::NoGradGuard noGrad;
    for (auto &p : net->parameters())
        p.fill_(value);
    return net;
}

const torch::Tensor &find(const NamedTensors &tensors, const std::string &name)
{
    for (const auto &entry : tensors)
        if (entry.first == name)
            return entry.second;
    qFatal("no tensor %s", name.c_str());
}

double accuracy(train::Trainer &trainer)
{
    auto result = trainer.evaluateTest();
    if (!result)
        qFatal("%s", result.error().toString().c_str());
    return result->accuracy;
}

} // namespace

class TestWeightCompression : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void weightsAreConvAndLinearOnly()
    {
        const auto state = stateDict(freshNet(1));
        QStringList weights;
        for (const auto &[name, tensor] : state)
            if (isCompressibleWeight(name, tensor))
                weights << QString::fromStdString(name);
        QCOMPARE(weights, QStringList({"conv1.weight", "conv2.weight", "head.weight"}));
    }

    // Per output channel: scale = max|w| / 127, and every dequantised weight within scale / 2.
    void int8ScalesAndError()
    {
        const auto state = stateDict(freshNet(1));
        auto quantized = quantizeWeightsInt8(state);
        QVERIFY_OK(quantized);
        QCOMPARE(quantized->size(), state.size() + 3);
        for (const auto &[name, original] : state) {
            const auto &stored = find(*quantized, name);
            if (!isCompressibleWeight(name, original)) {
                QVERIFY(torch::equal(stored, original)); // biases, BatchNorm stay float
                continue;
            }
            QCOMPARE(stored.scalar_type(), torch::kChar);
            const auto &scale = find(*quantized, name + kInt8ScaleSuffix);
            const auto maxAbs = std::get<0>(original.detach().abs().flatten(1).max(1));
            QVERIFY(torch::allclose(scale, maxAbs / 127.0, 1e-6, 1e-9));
            QVERIFY(stored.abs().max().item<int>() <= 127);
            const auto restored = find(*dequantizeWeightsInt8(*quantized), name);
            const auto channels = scale.size(0);
            const auto error = (restored - original.detach()).abs().reshape({channels, -1});
            const auto bound = (scale * (0.5 + 1e-5)).unsqueeze(1);
            QVERIFY2((error <= bound).all().item<bool>(), name.c_str());
        }
    }

    // The int8 file stores I8 weights + F32 scales; loading it gives the dequantised weights.
    void int8SafetensorsReloads()
    {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "int8.safetensors";
        auto source = freshNet(1);
        auto quantized = quantizeWeightsInt8(stateDict(source));
        QVERIFY_OK(quantized);
        QVERIFY_OK(writeSafetensors(*quantized, {{"quantize", "int8"}}, path));
        auto read = readSafetensors(path);
        QVERIFY_OK(read);
        QCOMPARE(find(*read, "conv1.weight").scalar_type(), torch::kChar);
        QCOMPARE(find(*read, "conv1.weight.scale").scalar_type(), torch::kFloat);
        auto target = freshNet(2);
        QVERIFY_OK(loadSafetensorsInto(target, path));
        const auto expected = *dequantizeWeightsInt8(*quantized);
        for (const auto &[name, tensor] : stateDict(target))
            QVERIFY2(torch::equal(tensor, find(expected, name)), name.c_str());
        const auto floatBytes = float32Bytes(stateDict(source));
        const auto int8 = int8Bytes(stateDict(source));
        qInfo("cnn {8,16} state dict: %lld bytes float32, %lld bytes int8, file %lld bytes",
              static_cast<long long>(floatBytes), static_cast<long long>(int8),
              static_cast<long long>(std::filesystem::file_size(path)));
        QVERIFY(int8 * 3 < floatBytes);
    }

    void applyInt8RoundTripChangesOnlyWeights()
    {
        auto net = freshNet(1);
        const auto before = cloneTensors(stateDict(net));
        auto count = applyInt8RoundTrip(net);
        QVERIFY_OK(count);
        QCOMPARE(*count, std::int64_t(3));
        const auto expected = *dequantizeWeightsInt8(*quantizeWeightsInt8(before));
        for (const auto &[name, tensor] : stateDict(net))
            QVERIFY2(torch::equal(tensor, find(expected, name)), name.c_str());
    }

    // prune(0.5) zeroes floor(half) of the pooled weights, and exactly the smallest |w|.
    void pruneZeroesTheSmallestHalf()
    {
        auto net = freshNet(3);
        const auto before = cloneTensors(stateDict(net));
        std::vector<torch::Tensor> pooled;
        for (const auto &[name, tensor] : before)
            if (isCompressibleWeight(name, tensor))
                pooled.push_back(tensor.abs().flatten());
        const auto all = torch::cat(pooled);
        auto zeroed = prune(net, 0.5);
        QVERIFY_OK(zeroed);
        QCOMPARE(*zeroed, all.numel() / 2);
        const auto after = stateDict(net);
        const auto s = sparsity(after);
        QCOMPARE(s.weights, all.numel());
        QCOMPARE(s.zeros, all.numel() / 2);
        std::vector<torch::Tensor> keptMask;
        for (std::size_t i = 0; i < after.size(); ++i) {
            if (!isCompressibleWeight(after[i].first, after[i].second)) {
                QVERIFY(torch::equal(after[i].second, before[i].second));
                continue;
            }
            keptMask.push_back(after[i].second.flatten() != 0);
        }
        const auto kept = torch::cat(keptMask);
        const double largestPruned = all.masked_select(~kept).max().item<double>();
        const double smallestKept = all.masked_select(kept).min().item<double>();
        QVERIFY(largestPruned <= smallestKept);
    }

    // Equal magnitudes: the earliest in state-dict then memory order go first.
    void pruneTiesAreDeterministic()
    {
        auto net = tiedNet(0.5f);
        auto zeroed = prune(net, 0.3); // floor(0.3 * 8) = 2 of fc1 and fc2's 8 weights
        QVERIFY_OK(zeroed);
        QCOMPARE(*zeroed, std::int64_t(2));
        const auto params = net->named_parameters();
        QVERIFY(torch::equal(params["fc1.weight"], torch::tensor({{0.f, 0.f}, {.5f, .5f}})));
        QVERIFY(torch::equal(params["fc2.weight"], torch::full({2, 2}, 0.5f)));
        QVERIFY(torch::equal(params["fc1.bias"], torch::full({2}, 0.5f)));
        auto again = tiedNet(0.5f);
        QVERIFY_OK(prune(again, 0.3));
        QVERIFY(torch::equal(again->named_parameters()["fc1.weight"], params["fc1.weight"]));
    }

    void pruneRejectsBadFractions_data()
    {
        QTest::addColumn<double>("fraction");
        QTest::newRow("negative") << -0.1;
        QTest::newRow("one") << 1.0;
        QTest::newRow("above one") << 1.5;
        QTest::newRow("NaN") << std::numeric_limits<double>::quiet_NaN();
    }
    void pruneRejectsBadFractions()
    {
        QFETCH(double, fraction);
        auto net = freshNet(1);
        const auto before = cloneTensors(stateDict(net));
        auto zeroed = prune(net, fraction);
        QVERIFY(!zeroed);
        QCOMPARE(zeroed.error().code, ErrorCode::InvalidArgument);
        QVERIFY(zeroed.error().message.find("[0, 1)") != std::string::npos);
        QVERIFY(sparsity(stateDict(net)).zeros == 0);
        QVERIFY(torch::equal(stateDict(net)[0].second, before[0].second));
        QVERIFY_OK(prune(net, 0.0));
        QCOMPARE(sparsity(stateDict(net)).zeros, std::int64_t(0));
    }

    // A briefly trained CNN keeps its accuracy through int8, and mostly through prune(0.5).
    void accuracyAfterCompression()
    {
        auto config = testing::tinyConfig(3000, 2);
        auto data = train::loadTrainData(config.data);
        QVERIFY_OK(data);
        train::TrainerOptions options;
        options.evaluateTest = false;
        auto trainer = train::Trainer::create(config, *data, options);
        QVERIFY_OK(trainer);
        QVERIFY_OK((*trainer)->run());
        auto &net = (*trainer)->net();
        const double floatAccuracy = accuracy(**trainer);
        const auto trained = cloneTensors(stateDict(net));
        QVERIFY_OK(applyInt8RoundTrip(net));
        const double int8Accuracy = accuracy(**trainer);
        QVERIFY_OK(loadStateDict(net, trained, "trained"));
        QVERIFY_OK(prune(net, 0.5));
        const double prunedAccuracy = accuracy(**trainer);
        qInfo("test accuracy (%lld images): float %.4f, int8 %.4f, pruned 50%% %.4f",
              static_cast<long long>(config.data.subset), floatAccuracy, int8Accuracy,
              prunedAccuracy);
        QVERIFY2(floatAccuracy > 0.6, "the tiny run did not learn");
        QVERIFY(std::abs(int8Accuracy - floatAccuracy) <= 0.02);
        QVERIFY(prunedAccuracy >= floatAccuracy - 0.1);
    }
};

LATHE_TEST_GUILESS_MAIN(TestWeightCompression)
#include "tst_weight_compression.moc"
