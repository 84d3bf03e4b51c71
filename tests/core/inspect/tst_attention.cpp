#include "core/inspect/attention.h"
#include "core/model/zoo.h"
#include "core/train/checkpoint.h"
#include "tests/test_registry.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

using namespace lathe;
using namespace lathe::inspect;

namespace {

model::Net buildNet(const std::string &arch, std::vector<std::int64_t> widths, int seed)
{
    torch::manual_seed(seed);
    auto net = model::buildNet(model::ModelSpec{arch, std::move(widths), 0.0}, {1, 28, 28}, 10);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    (*net)->eval();
    return *net;
}

double maxRowError(const torch::Tensor &weights)
{
    return (weights.sum(-1) - 1.0).abs().max().item<double>();
}

} // namespace

class TestAttention : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rowsSumToOneForEveryLayerAndHead()
    {
        auto net = buildNet("vit-tiny", {}, 0);
        auto maps = attentionMaps(net, torch::rand({1, 1, 28, 28}));
        QVERIFY2(maps.has_value(), maps ? "" : maps.error().toString().c_str());
        QCOMPARE(maps->layers.size(), size_t(4));
        for (std::size_t layer = 0; layer < maps->layers.size(); ++layer) {
            const auto &weights = maps->layers[layer];
            QCOMPARE(weights.sizes().vec(), (std::vector<std::int64_t>{4, 17, 17}));
            for (std::int64_t head = 0; head < weights.size(0); ++head)
                QVERIFY2(maxRowError(weights[head]) < 1e-5,
                         qPrintable(QStringLiteral("layer %1 head %2").arg(layer).arg(head)));
        }
        QCOMPARE(maps->rollout.sizes().vec(), (std::vector<std::int64_t>{17, 17}));
        QVERIFY(maxRowError(maps->rollout) < 1e-5);
        QVERIFY(maps->rollout.ge(0).all().item<bool>());
    }
    void rolloutIsTheProductOfMixedLayers()
    {
        auto net = buildNet("vit-tiny", {32, 2, 2, 7}, 1);
        auto maps = attentionMaps(net, torch::rand({1, 1, 28, 28}));
        QVERIFY(maps.has_value());
        QCOMPARE(maps->layers.size(), size_t(2));
        const auto eye = torch::eye(17);
        auto a1 = 0.5 * eye + 0.5 * maps->layers[0].mean(0);
        auto a2 = 0.5 * eye + 0.5 * maps->layers[1].mean(0);
        QVERIFY(torch::allclose(maps->rollout, torch::matmul(a2, a1), 1e-5, 1e-6));
    }
    void classMapsHaveTheGridShape_data()
    {
        QTest::addColumn<int>("patch");
        QTest::addColumn<int>("grid");
        QTest::newRow("patch 7") << 7 << 4;
        QTest::newRow("patch 4") << 4 << 7;
    }
    void classMapsHaveTheGridShape()
    {
        QFETCH(int, patch);
        QFETCH(int, grid);
        auto net = buildNet("vit-tiny", {32, 2, 4, patch}, 2);
        auto maps = attentionMaps(net, torch::rand({1, 1, 28, 28}));
        QVERIFY(maps.has_value());
        QCOMPARE(maps->gridHeight, std::int64_t(grid));
        QCOMPARE(maps->gridWidth, std::int64_t(grid));
        const std::vector<std::int64_t> shape{grid, grid};
        QCOMPARE(maps->classMap(1, 3).sizes().vec(), shape);
        QCOMPARE(maps->rolloutMap().sizes().vec(), shape);
        // Head 3's map is the class token's row over the patches, row-major.
        auto row = maps->layers[1][3][0];
        QVERIFY(torch::equal(maps->classMap(1, 3).flatten(), row.slice(0, 1)));
        QVERIFY(torch::allclose(maps->classMap(1),
                                maps->layers[1].mean(0)[0].slice(0, 1).reshape({grid, grid})));
        QVERIFY(torch::equal(maps->rolloutMap().flatten(), maps->rollout[0].slice(0, 1)));
    }
    void checkpointRoundTripGivesIdenticalOutputs()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::filesystem::path path = dir.filePath("vit.pt").toStdString();
        auto net = buildNet("vit-tiny", {}, 3);
        torch::optim::AdamW optimizer(net->parameters());
        auto saved = train::saveCheckpoint(path, net, optimizer, train::TrainState{});
        QVERIFY2(saved.has_value(), saved ? "" : saved.error().toString().c_str());

        auto restored = buildNet("vit-tiny", {}, 4); // other initial weights
        auto input = torch::rand({1, 1, 28, 28});
        QVERIFY(!torch::equal(restored->forward(input), net->forward(input)));
        auto loaded = train::loadCheckpoint(path, restored, nullptr);
        QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().toString().c_str());
        QVERIFY(torch::equal(restored->forward(input), net->forward(input)));
        auto before = attentionMaps(net, input), after = attentionMaps(restored, input);
        QVERIFY(before.has_value() && after.has_value());
        QVERIFY(torch::equal(before->rollout, after->rollout));
    }
    void keepsTheTrainingMode()
    {
        auto net = buildNet("vit-tiny", {32, 1, 2, 7}, 5);
        net->train();
        QVERIFY(attentionMaps(net, torch::rand({1, 1, 28, 28})).has_value());
        QVERIFY(net->is_training());
    }
    void cnnHasNoAttention()
    {
        auto net = buildNet("cnn", {}, 6);
        auto maps = attentionMaps(net, torch::rand({1, 1, 28, 28}));
        QVERIFY(!maps.has_value());
        QCOMPARE(maps.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(QString::fromStdString(maps.error().message).contains("\"cnn\""),
                 maps.error().message.c_str());
    }
    void batchInputIsRefused()
    {
        auto net = buildNet("vit-tiny", {32, 1, 2, 7}, 7);
        auto maps = attentionMaps(net, torch::rand({2, 1, 28, 28}));
        QVERIFY(!maps.has_value());
        QCOMPARE(maps.error().code, ErrorCode::InvalidArgument);
    }
};

LATHE_TEST_GUILESS_MAIN(TestAttention)
#include "tst_attention.moc"
