#include "core/formats/torchscript_export.h"
#include "core/util/threads.h"

#include "tests/core/formats/export_test_support.h"
#include "tests/qverify_ok.h"
#include "tests/read_file.h"
#include "tests/test_registry.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <zlib.h>

#include <string>

using namespace lathe;
using namespace lathe::formats;
using namespace lathe::testing;

namespace {

// Runs a TorchScript file in PyTorch on raw float32 input and prints the largest absolute
// difference from the expected raw float32 output.
constexpr const char *kScriptCheck = R"PY(
import sys
import numpy as np
import torch
model = torch.jit.load(sys.argv[1])
shape = [int(d) for d in sys.argv[3].split(',')]
x = torch.from_numpy(np.fromfile(sys.argv[2], dtype='<f4').reshape(shape))
expected = np.fromfile(sys.argv[4], dtype='<f4')
with torch.no_grad():
    y = model(x).numpy().ravel()
assert y.shape == expected.shape, (y.shape, expected.shape)
print(float(np.abs(y - expected).max()))
)PY";

void put16(std::string &out, unsigned v)
{
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>((v >> 8) & 0xff);
}

void put32(std::string &out, unsigned long v)
{
    put16(out, v & 0xffff);
    put16(out, (v >> 16) & 0xffff);
}

// A valid zip archive (one stored file) that is no TorchScript archive.
std::string plainZip()
{
    const std::string name = "notes.txt", body = "just a zip\n";
    const auto crc = crc32(0, reinterpret_cast<const Bytef *>(body.data()), body.size());
    auto header = [&](bool central) {
        std::string h;
        put32(h, central ? 0x02014b50 : 0x04034b50);
        if (central)
            put16(h, 20);                        // version made by
        for (unsigned v : {20u, 0u, 0u, 0u, 0u}) // version needed, flags, stored, time, date
            put16(h, v);
        put32(h, crc);
        put32(h, body.size());
        put32(h, body.size());
        put16(h, name.size());
        put16(h, 0); // extra
        if (central) {
            for (int i = 0; i < 4; ++i) // comment, disk, internal attributes, external (low)
                put16(h, 0);
            put16(h, 0); // external (high)
            put32(h, 0); // local header offset
        }
        return h + name;
    };
    const auto local = header(false) + body;
    const auto central = header(true);
    std::string zip = local + central;
    put32(zip, 0x06054b50);
    for (unsigned v : {0u, 0u, 1u, 1u})
        put16(zip, v);
    put32(zip, central.size());
    put32(zip, local.size());
    put16(zip, 0);
    return zip;
}

} // namespace

class TestTorchScriptExport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { util::configureThreads(); }

    // LibTorch loads the file back and reproduces net->forward on 100 real images, and on a
    // batch of another size (the batch dim is not baked in).
    void libtorchMatches_data() { addArchitectureRows(); }
    void libtorchMatches()
    {
        QFETCH(QString, arch);
        auto net = trainedNet(arch.toStdString());
        QTemporaryDir dir;
        const auto file = dir.filePath("model.pt").toStdString();
        QVERIFY_OK(writeTorchScript(net, {1, 28, 28}, file));
        QCOMPARE(listing(dir.path()), QStringList{"model.pt"});
        auto module = loadTorchScript(file);
        QVERIFY_OK(module);
        torch::NoGradGuard noGrad;
        for (const std::int64_t count : {100, 3}) {
            const auto x = fashionImages(0, count);
            const auto expected = reference(net, x);
            const auto got = module->forward({x}).toTensor();
            QCOMPARE(got.sizes().vec(), expected.sizes().vec());
            const double diff = maxAbsDiff(got, expected);
            qInfo("%s, batch %ld: LibTorch jit max abs diff %.3g (logits up to %.3g)",
                  qPrintable(arch), count, diff, expected.abs().max().item<double>());
            QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
        }
        QVERIFY(!net->is_training()); // the export restored the net's mode
    }

    // PyTorch's Python loads the same file and gives the same logits.
    void pythonMatches_data() { addArchitectureRows(); }
    void pythonMatches()
    {
        QFETCH(QString, arch);
        if (!pythonHas("torch"))
            QSKIP("/usr/bin/python3 has no torch (install python3-torch)");
        auto net = trainedNet(arch.toStdString());
        QTemporaryDir dir;
        const auto file = dir.filePath("model.pt");
        QVERIFY_OK(writeTorchScript(net, {1, 28, 28}, file.toStdString()));
        const auto x = fashionImages(0, 100);
        writeFloats(dir.filePath("input.bin"), x);
        writeFloats(dir.filePath("expected.bin"), reference(net, x));
        const auto result
            = runProcess(kPython, {"-c", kScriptCheck, file, dir.filePath("input.bin"),
                                   "100,1,28,28", dir.filePath("expected.bin")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        bool ok = false;
        const double diff = result.out.trimmed().split('\n').last().toDouble(&ok);
        QVERIFY2(ok, qPrintable(result.out));
        qInfo("%s: PyTorch (Python) jit max abs diff %.3g", qPrintable(arch), diff);
        QVERIFY2(diff <= 1e-5, qPrintable(result.out));
    }

    // A net with a stage TorchScript cannot express: an error naming the stage, and the
    // folder holds exactly what it held before.
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
        writeFile(dir.filePath("keep.txt").toStdString(), "keep");
        const auto file = dir.filePath("model.pt").toStdString();
        const auto written = writeTorchScript(net, bad.inputShape, file);
        QVERIFY(!written);
        const auto message = QString::fromStdString(written.error().message);
        QVERIFY2(message.contains(bad.expectedFor("TorchScript")), qPrintable(message));
        QCOMPARE(written.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(QString::fromStdString(written.error().context), QString::fromStdString(file));
        QCOMPARE(listing(dir.path()), QStringList{"keep.txt"});
    }

    // A failed export leaves an older file of the same name untouched.
    void failedExportKeepsOldFile()
    {
        QTemporaryDir dir;
        const auto file = dir.filePath("model.pt");
        writeFile(file.toStdString(), "old model");
        auto net = badNets().front().build();
        QVERIFY(!writeTorchScript(net, {1, 28, 28}, file.toStdString()));
        QFile old(file);
        QVERIFY(old.open(QIODevice::ReadOnly));
        QCOMPARE(old.readAll(), QByteArray("old model"));
        QCOMPARE(listing(dir.path()), QStringList{"model.pt"});
    }

    // Files that are no TorchScript module: a clear error naming the file, nothing written.
    void loadRejectsBadFiles_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("expected");
        const auto notFound = static_cast<int>(ErrorCode::NotFound);
        const auto bad = static_cast<int>(ErrorCode::BadInput);
        QTest::newRow("missing") << "missing.pt" << notFound << "no such TorchScript file";
        QTest::newRow("random bytes") << "random.pt" << bad << "not a TorchScript module";
        QTest::newRow("empty") << "empty.pt" << bad << "not a TorchScript module";
        QTest::newRow("plain zip") << "plain.zip" << bad << "not a TorchScript module";
        QTest::newRow("saved tensor") << "tensor.pt" << bad << "without a forward method";
        QTest::newRow("directory") << "folder" << bad << "is a directory";
    }
    void loadRejectsBadFiles()
    {
        QFETCH(QString, name);
        QFETCH(int, code);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        torch::manual_seed(3);
        const auto random = torch::randint(0, 256, {4096}, torch::kUInt8);
        writeFile(dir.filePath("random.pt").toStdString(),
                  std::string(static_cast<const char *>(random.data_ptr()), 4096));
        writeFile(dir.filePath("empty.pt").toStdString(), "");
        writeFile(dir.filePath("plain.zip").toStdString(), plainZip());
        torch::save(torch::rand({3, 3}), dir.filePath("tensor.pt").toStdString());
        QVERIFY(QDir(dir.path()).mkdir("folder"));
        const auto before = listing(dir.path());

        const auto file = dir.filePath(name).toStdString();
        const auto loaded = loadTorchScript(file);
        QVERIFY(!loaded);
        const auto message = QString::fromStdString(loaded.error().message);
        qInfo("%s", loaded.error().toString().c_str());
        QCOMPARE(static_cast<int>(loaded.error().code), code);
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(!message.contains("Exception raised from"), qPrintable(message));
        QCOMPARE(QString::fromStdString(loaded.error().context), QString::fromStdString(file));
        QCOMPARE(listing(dir.path()), before);
    }
};

LATHE_TEST_GUILESS_MAIN(TestTorchScriptExport)
#include "tst_torchscript_export.moc"
