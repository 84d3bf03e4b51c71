#include "core/formats/graph_builder.h"
#include "core/formats/onnx_export.h"
#include "core/formats/stage_ops.h"
#include "core/formats/torchscript_export.h"
#include "core/util/join.h"
#include "core/util/threads.h"

#include "tests/core/formats/export_test_support.h"
#include "tests/core/formats/imported_test_models.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <fstream>
#include <map>

using namespace lathe;
using namespace lathe::formats;
using namespace lathe::testing;

namespace {

// Runs a lowered graph on `x` op by op with evaluateOp, the semantics both exporters write.
torch::Tensor runGraph(const StageGraph &graph, const torch::Tensor &x)
{
    std::map<std::string, torch::Tensor> values{{graph.input, x}};
    for (const auto &constant : graph.constants)
        values[constant.name] = constant.tensor;
    for (const auto &op : graph.ops) {
        std::vector<torch::Tensor> inputs;
        for (const auto &input : op.inputs)
            inputs.push_back(values.at(input));
        values[op.output] = evaluateOp(op, inputs);
    }
    return values.at(graph.output);
}

QStringList opKinds(const StageGraph &graph)
{
    QStringList kinds;
    for (const auto &op : graph.ops)
        kinds << opKindName(op.kind);
    kinds.removeDuplicates();
    kinds.sort();
    return kinds;
}

} // namespace

class TestScriptLowering : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { util::configureThreads(); }

    // The lowered ops of each imported model give LibTorch's eval-mode logits on 8 real images
    // (the probes were batches of 1 and 3).
    void loweredGraphMatches_data() { addImportedModelRows(); }
    void loweredGraphMatches()
    {
        QFETCH(int, model);
        auto net = importedNet(importedModels().at(model));
        torch::NoGradGuard noGrad;
        const auto graph = lowerNet(*net, {1, 28, 28}, "ONNX");
        QVERIFY_OK(graph);
        const auto x = fashionImages(0, 8);
        const auto expected = reference(net, x);
        const auto got = runGraph(*graph, x);
        QCOMPARE(got.sizes(), expected.sizes());
        const double diff = maxAbsDiff(got, expected);
        qInfo("%s: %zu ops (%s), max abs diff %.3g", importedModels().at(model).name,
              graph->ops.size(), qPrintable(opKinds(*graph).join(' ')), diff);
        QVERIFY2(diff <= 1e-4, qPrintable(QString::number(diff)));
        QCOMPARE(graph->outputShape, (std::vector<std::int64_t>{10}));
    }

    // writeTorchScript writes the imported net as a module that reloads and gives the same
    // logits within 1e-5: for pooled_features, a script stage with appended "flatten" and
    // "head" stages, through the lowering.
    void torchScriptRoundTrip_data() { addImportedModelRows(); }
    void torchScriptRoundTrip()
    {
        QFETCH(int, model);
        const auto &python = importedModels().at(model);
        auto net = importedNet(python);
        if (std::string(python.name) == kPooledFeatures.name)
            QCOMPARE(QString::fromStdString(util::join(net->stageNames())),
                     QString("backbone, flatten, head"));
        QTemporaryDir dir;
        const auto file = dir.filePath("model.pt");
        QVERIFY_OK(writeTorchScript(net, {1, 28, 28}, file.toStdString()));
        auto loaded = loadTorchScript(file.toStdString());
        QVERIFY_OK(loaded);
        torch::NoGradGuard noGrad;
        const auto x = fashionImages(0, 16);
        const auto expected = reference(net, x);
        const auto got = loaded->forward({x}).toTensor();
        const double diff = maxAbsDiff(got, expected);
        qInfo("%s: TorchScript max abs diff %.3g", python.name, diff);
        QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
    }

    // An op no exporter maps: an error naming the op and its layer, and no file left behind.
    void refusesUnmappedOp_data()
    {
        QTest::addColumn<QString>("format");
        QTest::newRow("ONNX") << "ONNX";
        QTest::newRow("TorchScript") << "TorchScript";
    }
    void refusesUnmappedOp()
    {
        QFETCH(QString, format);
        auto net = importedNet(kUpsampling);
        QTemporaryDir dir;
        std::ofstream(dir.filePath("keep.txt").toStdString()) << "keep";
        const auto file = dir.filePath("model").toStdString();
        const auto written = format == "ONNX" ? writeOnnx(net, {1, 28, 28}, file)
                                              : writeTorchScript(net, {1, 28, 28}, file);
        QVERIFY(!written);
        const auto message = QString::fromStdString(written.error().message);
        qInfo("%s", qPrintable(message));
        QCOMPARE(written.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(message.contains("stage \"backbone\""), qPrintable(message));
        QVERIFY2(message.contains("aten::upsample_nearest2d at layer \"1\""), qPrintable(message));
        QVERIFY2(message.contains("has no " + format + " mapping"), qPrintable(message));
        QCOMPARE(QString::fromStdString(written.error().context), QString::fromStdString(file));
        QCOMPARE(listing(dir.path()), QStringList{"keep.txt"});
        QVERIFY(!net->is_training());
    }
};

LATHE_TEST_GUILESS_MAIN(TestScriptLowering)
#include "tst_script_lowering.moc"
