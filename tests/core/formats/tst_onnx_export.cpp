#include "core/formats/onnx_export.h"
#include "core/formats/stage_ops.h"
#include "core/util/threads.h"

#include "tests/core/formats/export_test_support.h"
#include "tests/core/formats/imported_test_models.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <fstream>

using namespace lathe;
using namespace lathe::formats;
using namespace lathe::testing;

namespace {

// onnx's own checker with full shape inference, plus what Lathe promises about the file.
constexpr const char *kOnnxCheck = R"PY(
import sys
import onnx
model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)
assert model.ir_version == 8, model.ir_version
assert [(o.domain, o.version) for o in model.opset_import] == [('', 13)], model.opset_import
assert model.producer_name == 'lathe', model.producer_name
graph = model.graph
def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
assert [(i.name, dims(i)) for i in graph.input] == [('input', ['batch', 1, 28, 28])], graph.input
assert [(o.name, dims(o)) for o in graph.output] == [('logits', ['batch', 10])], graph.output
initializers = {t.name for t in graph.initializer}
used = {name for node in graph.node for name in node.input}
assert initializers <= used, initializers - used
print(' '.join(sorted({node.op_type for node in graph.node})))
)PY";

QString onnxRuntimeDir()
{
#ifdef LATHE_TEST_ONNXRUNTIME_DIR
    const QString dir = LATHE_TEST_ONNXRUNTIME_DIR;
    if (QFileInfo::exists(dir + "/node_modules/onnxruntime-node/package.json"))
        return dir;
#endif
    return {};
}

// onnx.checker accepts `net` written as ONNX; prints its op types.
void checkOnnxChecker(model::Net &net, const QString &label)
{
    QTemporaryDir dir;
    const auto file = dir.filePath("model.onnx");
    QVERIFY_OK(writeOnnx(net, {1, 28, 28}, file.toStdString()));
    QCOMPARE(listing(dir.path()), QStringList{"model.onnx"});
    const auto result = runProcess(kPython, {"-c", kOnnxCheck, file});
    QVERIFY2(result.exitCode == 0, qPrintable(result.err));
    qInfo("%s ops: %s", qPrintable(label), qPrintable(result.out.trimmed()));
    QVERIFY(!net->is_training()); // the export restored the net's mode
}

// onnxruntime (Node) runs `net` written as ONNX on 100 real images, and on a batch of 3 (the
// batch dim is symbolic), matching net->forward within 1e-4.
void checkOnnxRuntime(model::Net &net, const QString &ortDir, const QString &node,
                      const QString &label)
{
    QTemporaryDir dir;
    const auto file = dir.filePath("model.onnx");
    QVERIFY_OK(writeOnnx(net, {1, 28, 28}, file.toStdString()));
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("LATHE_ONNXRUNTIME_DIR", ortDir);
    for (const std::int64_t count : {100, 3}) {
        const auto x = fashionImages(0, count);
        writeFloats(dir.filePath("input.bin"), x);
        QFile::remove(dir.filePath("output.bin"));
        const auto result
            = runProcess(node,
                         {LATHE_TEST_RUN_ONNX_JS, file, dir.filePath("input.bin"),
                          QString("%1,1,28,28").arg(count), dir.filePath("output.bin")},
                         env);
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const auto expected = reference(net, x);
        const auto got = readFloats(dir.filePath("output.bin"));
        QCOMPARE(got.numel(), expected.numel());
        const double diff = maxAbsDiff(got, expected.flatten());
        qInfo("%s, batch %ld: onnxruntime max abs diff %.3g (logits up to %.3g)", qPrintable(label),
              count, diff, expected.abs().max().item<double>());
        QVERIFY2(diff <= 1e-4, qPrintable(QString::number(diff)));
    }
}

// Why onnxruntime cannot run here, or empty.
QString missingRuntime(const QString &ortDir, const QString &node)
{
    if (ortDir.isEmpty())
        return "onnxruntime-node not found: run `npm install --ignore-scripts --prefix "
               "<build>/npm onnxruntime-node` and configure with "
               "-DLATHE_ONNXRUNTIME_DIR=<build>/npm";
    return node.isEmpty() ? "node is not on PATH" : "";
}

} // namespace

class TestOnnxExport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { util::configureThreads(); }

    // onnx.checker (full check: strict shape inference) accepts the file, whose input, output
    // and opset are what the header promises.
    void checkerAccepts_data() { addArchitectureRows(); }
    void checkerAccepts()
    {
        QFETCH(QString, arch);
        if (!pythonHas("onnx"))
            QSKIP("/usr/bin/python3 has no onnx (install python3-onnx)");
        auto net = trainedNet(arch.toStdString());
        checkOnnxChecker(net, arch);
    }

    // onnxruntime (Node) runs the file on 100 real images, and on a batch of 3 (the batch dim
    // is symbolic), matching net->forward.
    void onnxruntimeMatches_data() { addArchitectureRows(); }
    void onnxruntimeMatches()
    {
        QFETCH(QString, arch);
        const auto ortDir = onnxRuntimeDir();
        const auto node = QStandardPaths::findExecutable("node");
        if (const auto why = missingRuntime(ortDir, node); !why.isEmpty())
            QSKIP(qPrintable(why));
        auto net = trainedNet(arch.toStdString());
        checkOnnxRuntime(net, ortDir, node, arch);
    }

    // Imported TorchScript models (torchvision's ResNet-18 and MobileNetV3-Small scripted, a
    // traced CNN and ViT, a traced backbone with appended "flatten" and "head" stages): the
    // checker accepts them and onnxruntime reproduces LibTorch's logits.
    void importedCheckerAccepts_data() { addImportedModelRows(); }
    void importedCheckerAccepts()
    {
        QFETCH(int, model);
        if (!pythonHas("onnx"))
            QSKIP("/usr/bin/python3 has no onnx (install python3-onnx)");
        auto net = importedNet(importedModels().at(model));
        checkOnnxChecker(net, importedModels().at(model).name);
    }
    void importedOnnxruntimeMatches_data() { addImportedModelRows(); }
    void importedOnnxruntimeMatches()
    {
        QFETCH(int, model);
        const auto ortDir = onnxRuntimeDir();
        const auto node = QStandardPaths::findExecutable("node");
        if (const auto why = missingRuntime(ortDir, node); !why.isEmpty())
            QSKIP(qPrintable(why));
        auto net = importedNet(importedModels().at(model));
        checkOnnxRuntime(net, ortDir, node, importedModels().at(model).name);
    }

    // A net with a stage ONNX cannot express: an error naming the stage, and the folder
    // holds exactly what it held before.
    void refusesUnmappedStages_data()
    {
        QTest::addColumn<int>("index");
        const auto nets = badNets();
        for (std::size_t i = 0; i < nets.size(); ++i)
            QTest::newRow(nets[i].row) << static_cast<int>(i);
    }
    void refusesUnmappedStages()
    {
        QFETCH(int, index);
        const auto bad = badNets().at(index);
        auto net = bad.build();
        QTemporaryDir dir;
        std::ofstream(dir.filePath("keep.txt").toStdString()) << "keep";
        const auto file = dir.filePath("model.onnx").toStdString();
        const auto written = writeOnnx(net, bad.inputShape, file);
        QVERIFY(!written);
        const auto message = QString::fromStdString(written.error().message);
        QVERIFY2(message.contains(bad.expectedFor("ONNX")), qPrintable(message));
        QCOMPARE(written.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(QString::fromStdString(written.error().context), QString::fromStdString(file));
        QCOMPARE(listing(dir.path()), QStringList{"keep.txt"});
    }

    // The ONNX library's checker runs on every export: a graph whose node reads a value
    // nothing produces is refused with the checker's own message.
    void checkerRefusesMalformedGraph()
    {
        StageGraph graph;
        graph.output = "relu";
        graph.inputShape = {1, 28, 28};
        graph.outputShape = {1, 28, 28};
        Op op;
        op.kind = OpKind::Relu;
        op.name = "relu";
        op.inputs = {"nowhere"};
        op.output = "relu";
        graph.ops.push_back(op);
        auto bytes = encodeOnnx(graph);
        QVERIFY(!bytes);
        QCOMPARE(bytes.error().code, ErrorCode::Internal);
        const auto message = QString::fromStdString(bytes.error().message);
        QVERIFY2(message.startsWith("the ONNX checker refused the model: "), qPrintable(message));
        QVERIFY2(message.contains("nowhere"), qPrintable(message));
        graph.ops.front().inputs = {"input"};
        QVERIFY_OK(encodeOnnx(graph));
    }

    // Strict shape inference runs too: a declared output shape the ops do not produce is
    // refused, naming both shapes.
    void shapeInferenceRefusesWrongOutput()
    {
        StageGraph graph;
        graph.output = "flat";
        graph.inputShape = {1, 28, 28};
        graph.outputShape = {10};
        Op op;
        op.kind = OpKind::Flatten;
        op.name = "flat";
        op.inputs = {"input"};
        op.output = "flat";
        graph.ops.push_back(op);
        auto bytes = encodeOnnx(graph);
        QVERIFY(!bytes);
        const auto message = QString::fromStdString(bytes.error().message);
        QVERIFY2(message.startsWith("ONNX shape inference refused the model: "),
                 qPrintable(message));
        QVERIFY2(message.contains("784") && message.contains("10"), qPrintable(message));
        graph.outputShape = {784};
        QVERIFY_OK(encodeOnnx(graph));
    }

    // A failed export leaves an older file of the same name untouched.
    void failedExportKeepsOldFile()
    {
        QTemporaryDir dir;
        const auto file = dir.filePath("model.onnx");
        std::ofstream(file.toStdString()) << "old model";
        auto net = badNets().front().build();
        QVERIFY(!writeOnnx(net, {1, 28, 28}, file.toStdString()));
        QFile old(file);
        QVERIFY(old.open(QIODevice::ReadOnly));
        QCOMPARE(old.readAll(), QByteArray("old model"));
        QCOMPARE(listing(dir.path()), QStringList{"model.onnx"});
    }
};

LATHE_TEST_GUILESS_MAIN(TestOnnxExport)
#include "tst_onnx_export.moc"
