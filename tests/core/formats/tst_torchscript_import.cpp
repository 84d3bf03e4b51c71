// Models PyTorch made (torchvision's ResNet-18 and MobileNetV3-Small scripted, a CNN traced)
// imported as Nets: their layers under PyTorch's names, tapped outputs and gradients equal to
// what PyTorch's own forward hooks see, a new head for another class count, LoRA on their
// layers, exports PyTorch loads back, and clear messages for models Lathe cannot use.
#include "core/formats/safetensors.h"
#include "core/formats/state_dict.h"
#include "core/formats/torchscript_export.h"
#include "core/formats/torchscript_import.h"
#include "export_test_support.h"
#include "tests/python_models.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace lathe;
using namespace lathe::testing;

namespace {

// Python run after the model is saved: seeded input [2,1,28,28] to input.bin, the logits to
// logits.bin, each layer in args[1] (comma-separated) as a forward hook saw it (a copy taken in
// the hook, before any in-place op) to <layer>.bin, and d logits[:, 3].sum() / d args[2]'s
// output to grad.bin. args[0] is the folder.
const char *kHookDump = R"(
folder, layers, grad_layer = args[0], args[1].split(','), args[2]
x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(1))
x.numpy().tofile(folder + '/input.bin')
seen = {}
modules = dict(m.named_modules())
def hook(name):
    def record(module, inputs, output):
        seen[name] = (output, output.detach().clone())
    return record
for name in set(layers + [grad_layer]):
    modules[name].register_forward_hook(hook(name))
logits = m(x)
logits.detach().numpy().tofile(folder + '/logits.bin')
for name in layers:
    seen[name][1].numpy().tofile(folder + '/' + name + '.bin')
grad = torch.autograd.grad(logits[:, 3].sum(), [seen[grad_layer][0]])[0]
grad.numpy().tofile(folder + '/grad.bin')
)";

// Python that loads a safetensors file (args[0]) into a freshly seeded `m` by hand (no
// safetensors package here) and writes its logits for input.bin (args[1]) to args[2].
const char *kLoadSafetensors = R"(
import json, struct, numpy
torch.manual_seed(1)
for p in m.parameters():
    p.data.normal_()
raw = open(args[0], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header, body = json.loads(raw[8:8 + n]), raw[8 + n:]
kinds = {'F32': numpy.float32, 'I64': numpy.int64}
state = {}
for name, entry in header.items():
    if name == '__metadata__':
        continue
    begin, end = entry['data_offsets']
    values = numpy.frombuffer(body[begin:end], dtype=kinds[entry['dtype']]).copy()
    state[name] = torch.from_numpy(values.reshape(entry['shape']))
m.load_state_dict(state, strict=True)
x = torch.from_numpy(numpy.fromfile(args[1], dtype=numpy.float32).reshape(2, 1, 28, 28))
with torch.no_grad():
    m(x).numpy().tofile(args[2])
)";

// Python that loads TorchScript args[0] and writes its eval logits for input.bin (args[1]) to
// args[2].
const char *kRunTorchScript = R"(
import numpy
s = torch.jit.load(args[0])
x = torch.from_numpy(numpy.fromfile(args[1], dtype=numpy.float32).reshape(2, 1, 28, 28))
with torch.no_grad():
    s(x).numpy().tofile(args[2])
)";

torch::Tensor fromFile(const QString &path, torch::IntArrayRef shape)
{
    auto values = readFloats(path);
    return values.numel() == 0 ? values : values.view(shape);
}

} // namespace

class TestTorchScriptImport : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    std::string path(const QString &name) const { return m_dir.filePath(name).toStdString(); }

    // `model` saved by PyTorch into the test folder; its file.
    QString saved(const PythonModel &model, const QString &then = {}, const QStringList &args = {})
    {
        const auto file = m_dir.filePath(QString(model.name) + ".pt");
        const auto problem = savePythonModel(model, file, then, args);
        if (!problem.isEmpty())
            qFatal("%s", qPrintable(problem));
        return file;
    }

private Q_SLOTS:
    // ResNet-18 as PyTorch names it: its layers, class and file recorded; an unchanged head
    // for 10 classes.
    void resnetLayersAreItsOwn()
    {
        const auto file = saved(kResnet18);
        formats::ImportedModel info;
        auto net = formats::netFromTorchScript(file.toStdString(), {1, 28, 28}, 10, &info);
        QVERIFY_OK(net);
        const auto layers = (*net)->layerNames();
        for (const char *layer :
             {"conv1", "layer1", "layer3.1.conv2", "layer4.0.downsample.0", "fc"})
            QVERIFY2(std::find(layers.begin(), layers.end(), layer) != layers.end(), layer);
        QCOMPARE(info.className, std::string("ResNet"));
        QCOMPARE(info.parameters, std::int64_t(11175370)); // 11,181,642 with a 3-channel conv1
        QCOMPARE(info.layers, std::int64_t(layers.size()));
        QCOMPARE(info.head, std::string());
        QCOMPARE(info.sha256.size(), std::size_t(64));
        const auto names = (*net)->layerParameters();
        QCOMPARE(names.front().first, std::string("conv1.weight"));
        QCOMPARE(names.back().first, std::string("fc.bias"));
    }

    // Tapped outputs of scripted and traced models equal what PyTorch's forward hooks record,
    // including layers an in-place ReLU later overwrites and a ReLU module called twice (its
    // last call), and the gradient of a logit with respect to a tapped layer is PyTorch's.
    void tapsMatchPyTorchHooks_data()
    {
        QTest::addColumn<int>("model");
        QTest::addColumn<QString>("layers");
        QTest::addColumn<QString>("gradLayer");
        QTest::newRow("resnet18 scripted")
            << 0 << "conv1,bn1,layer1.0.bn1,layer1.0.relu,layer2,layer3.1.conv2,layer4,avgpool,fc"
            << "layer3";
        QTest::newRow("cnn traced") << 1 << "0,1,2,3,5"
                                    << "2";
    }
    void tapsMatchPyTorchHooks()
    {
        QFETCH(int, model);
        QFETCH(QString, layers);
        QFETCH(QString, gradLayer);
        const PythonModel &source = model == 0 ? kResnet18 : kTracedCnn;
        QTemporaryDir out;
        const auto file = saved(source, kHookDump, {out.path(), layers, gradLayer});
        auto net = formats::netFromTorchScript(file.toStdString(), {1, 28, 28}, 10);
        QVERIFY_OK(net);
        (*net)->eval();
        const auto x = fromFile(out.filePath("input.bin"), {2, 1, 28, 28});
        model::Taps taps;
        for (const auto &layer : layers.split(','))
            taps.wanted.push_back(layer.toStdString());
        taps.wanted.push_back(gradLayer.toStdString());
        taps.keepGraph = true;
        const auto logits = (*net)->forward(x, &taps);
        QVERIFY(maxAbsDiff(logits, fromFile(out.filePath("logits.bin"), {2, 10})) < 1e-4);
        for (const auto &layer : layers.split(',')) {
            QVERIFY2(taps.outputs.count(layer.toStdString()),
                     qPrintable(layer + " was not recorded"));
            const auto &got = taps.outputs.at(layer.toStdString());
            const auto expected = fromFile(out.filePath(layer + ".bin"), got.sizes());
            QVERIFY2(expected.numel() == got.numel(), qPrintable(layer));
            const double diff = maxAbsDiff(got, expected);
            QVERIFY2(diff < 1e-4, qPrintable(layer + ": " + QString::number(diff)));
        }
        const auto activation = taps.outputs.at(gradLayer.toStdString());
        const auto grad = torch::autograd::grad({logits.select(1, 3).sum()}, {activation})[0];
        const double diff = maxAbsDiff(grad, fromFile(out.filePath("grad.bin"), grad.sizes()));
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    // Another class count: the last Linear that gives the model's outputs is replaced (found
    // by its output size, wherever it sits), and the model then answers [batch, classes].
    void aNewHeadReplacesTheLastLinear_data()
    {
        QTest::addColumn<int>("model");
        QTest::addColumn<QString>("head");
        QTest::newRow("resnet18") << 0 << "fc";
        QTest::newRow("mobilenet_v3_small") << 1 << "classifier.3";
        QTest::newRow("traced cnn") << 2 << "5";
    }
    void aNewHeadReplacesTheLastLinear()
    {
        QFETCH(int, model);
        QFETCH(QString, head);
        const PythonModel *sources[] = {&kResnet18, &kMobileNetV3Small, &kTracedCnn};
        const auto file = saved(*sources[model]);
        formats::ImportedModel info;
        auto net = formats::netFromTorchScript(file.toStdString(), {1, 28, 28}, 5, &info);
        QVERIFY_OK(net);
        QCOMPARE(QString::fromStdString(info.head), head);
        QCOMPARE((*net)->stageNames(), std::vector<std::string>{"backbone"});
        (*net)->eval();
        torch::NoGradGuard noGrad;
        QCOMPARE((*net)->forward(torch::rand({3, 1, 28, 28})).sizes().vec(),
                 (std::vector<std::int64_t>{3, 5}));
        const auto names = (*net)->layerParameters();
        QCOMPARE(names.back().first, head.toStdString() + ".bias");
        QVERIFY(names.back().second.requires_grad());
    }

    // LoRA on an imported model's convolutions: a fresh adapter changes nothing, a trained one
    // changes the output, and merging it gives the same output from plain weights.
    void loraAdaptsImportedLayers()
    {
        const auto file = saved(kResnet18);
        auto net = formats::netFromTorchScript(file.toStdString(), {1, 28, 28}, 10);
        QVERIFY_OK(net);
        (*net)->eval();
        torch::NoGradGuard noGrad;
        const auto x = torch::rand({2, 1, 28, 28});
        const auto before = (*net)->forward(x);
        auto stage = std::dynamic_pointer_cast<formats::ScriptStageImpl>(
            (*net)->named_children()["backbone"]);
        QVERIFY(stage);
        auto adapted = stage->addAdapters(2, 4.0, {"layer4.1"});
        QVERIFY_OK(adapted);
        QCOMPARE(*adapted, (std::vector<std::string>{"layer4.1.conv1", "layer4.1.conv2"}));
        QVERIFY(maxAbsDiff((*net)->forward(x), before) < 1e-6);
        for (auto &[name, tensor] : (*net)->layerParameters())
            if (name.find(".lora_b") != std::string::npos)
                tensor.normal_(0.0, 0.1);
        const auto adaptedOut = (*net)->forward(x);
        QVERIFY(maxAbsDiff(adaptedOut, before) > 1e-3);
        QVERIFY(!(*net)->layerParameters().empty());
        QCOMPARE(stage->mergeAdapters(), std::int64_t(2));
        QVERIFY(maxAbsDiff((*net)->forward(x), adaptedOut) < 1e-4);
        auto bad = stage->addAdapters(2, 4.0, {"layer9"});
        QVERIFY(!bad);
        QCOMPARE(QString::fromStdString(bad.error().context), QString("finetune.lora_targets"));
    }

    // Exports PyTorch reads: the fine-tuned module itself as TorchScript, and a safetensors
    // file under PyTorch's names that torchvision's own ResNet-18 loads (strict) and runs to
    // the same logits.
    void exportsLoadInPyTorch()
    {
        QTemporaryDir out;
        const auto file = saved(kResnet18, kHookDump, {out.path(), "fc", "layer4"});
        auto net = formats::netFromTorchScript(file.toStdString(), {1, 28, 28}, 10);
        QVERIFY_OK(net);
        {
            torch::NoGradGuard noGrad;
            for (auto &p : (*net)->parameters())
                p.add_(torch::randn_like(p) * 0.01); // as if fine-tuned
        }
        (*net)->eval();
        const auto input = out.filePath("input.bin");
        const auto x = fromFile(input, {2, 1, 28, 28});
        torch::Tensor expected;
        {
            torch::NoGradGuard noGrad;
            expected = (*net)->forward(x);
        }
        const auto script = out.filePath("model.pt");
        QVERIFY_OK(formats::writeTorchScript(*net, {1, 28, 28}, script.toStdString()));
        const auto safetensors = out.filePath("model.safetensors");
        QVERIFY_OK(formats::writeSafetensors(formats::stateDict(*net), {{"format", "pt"}},
                                             safetensors.toStdString()));
        const auto ran = savePythonModel(kResnet18, out.filePath("again.pt"), kRunTorchScript,
                                         {script, input, out.filePath("script.bin")});
        QVERIFY2(ran.isEmpty(), qPrintable(ran));
        const auto loaded = savePythonModel(kResnet18, out.filePath("again.pt"), kLoadSafetensors,
                                            {safetensors, input, out.filePath("loaded.bin")});
        QVERIFY2(loaded.isEmpty(), qPrintable(loaded));
        for (const char *name : {"script.bin", "loaded.bin"}) {
            const double diff = maxAbsDiff(fromFile(out.filePath(name), {2, 10}), expected);
            qInfo("%s: max abs diff %.3g", name, diff);
            QVERIFY2(diff < 1e-4, name);
        }
    }

    // Models Lathe cannot use are refused before anything is built, each with what is wrong.
    void unusableModelsAreRefused_data()
    {
        QTest::addColumn<QString>("build");
        QTest::addColumn<QString>("message");
        QTest::newRow("two inputs") << "class Two(nn.Module):\n"
                                       "    def forward(self, x, y):\n"
                                       "        return x + y\n"
                                       "m = Two()"
                                    << "its forward takes 2 inputs (x, y)";
        QTest::newRow("three channels")
            << "m = torchvision.models.resnet18(num_classes=10)"
            << "input of shape [1, 1, 28, 28] (one sample of this dataset): its first convolution "
               "(conv1.weight) takes 3 channels, the data has 1";
        QTest::newRow("tuple") << "class Pair(nn.Module):\n"
                                  "    def forward(self, x):\n"
                                  "        return x, x\n"
                                  "m = Pair()"
                               << "its forward returns a Tuple, not one tensor [batch, classes]";
        QTest::newRow("scalar") << "class Total(nn.Module):\n"
                                   "    def forward(self, x):\n"
                                   "        return x.sum()\n"
                                   "m = Total()"
                                << "returns a tensor of shape [] for a batch of one";
    }
    void unusableModelsAreRefused()
    {
        QFETCH(QString, build);
        QFETCH(QString, message);
        const auto code = build.toUtf8();
        const auto file = saved({"bad", code.constData()});
        auto net = formats::netFromTorchScript(file.toStdString(), {1, 28, 28}, 10);
        QVERIFY(!net);
        QCOMPARE(net.error().code, ErrorCode::BadInput);
        QCOMPARE(QString::fromStdString(net.error().context), file);
        QVERIFY2(QString::fromStdString(net.error().message).contains(message),
                 net.error().message.c_str());
    }
};

LATHE_TEST_GUILESS_MAIN(TestTorchScriptImport)
#include "tst_torchscript_import.moc"
