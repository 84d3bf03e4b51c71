// lathe-cli end to end, as a user runs it: real training on Fashion-MNIST subsets, the store
// it leaves behind, exit codes, Ctrl-C and a SIGKILL mid-run.
#include "core/data/fashion_mnist.h"
#include "core/inspect/colormap.h"
#include "core/track/run_store.h"
#include "core/train/checkpoint.h"
#include "core/util/sha256.h"
#include "tests/app/cli_runner.h"
#include "tests/python_models.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QRegularExpression>
#include <QtEndian>
#include <QtTest>

#include <sqlite3.h>

#include <stb/stb_image.h>

#include <csignal>
#include <sys/resource.h>
#include <filesystem>
#include <memory>

using namespace lathe;

namespace {

QString statusOf(track::RunStore &store, std::int64_t runId)
{
    auto run = store.run(runId);
    return run ? QString::fromUtf8(track::toString(run->status).data())
               : run.error().message.c_str();
}

using testing::Cli;
using testing::kConfig;
using testing::Outcome;

// A tiny, fast variant of the default experiment.
QStringList tinyTrain(int subset, int epochs)
{
    return {"train", kConfig,
            "--set", QString("data.subset=%1").arg(subset),
            "--set", QString("training.epochs=%1").arg(epochs),
            "--set", "model.widths=[8,16]",
            "--set", "training.batch_size=64"};
}

std::int64_t countRows(const QString &db, std::int64_t runId, const char *key)
{
    auto store = track::RunStore::open(db.toStdString());
    if (!store)
        return -1;
    auto series = (*store)->metricSeries(runId, key);
    return series ? std::int64_t(series->size()) : -1;
}

// The saliency PNG `stem`.png, byte for byte: inspect::heatmapRgba's magma colouring of the map
// in `stem`.csv over test sample 3 at kHeatmapOpacity (what the Visualise panel draws with the
// same function), enlarged without smoothing.
void checkSaliencyPng(const QString &stem)
{
    QFile csv(stem + ".csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    std::vector<float> values;
    std::int64_t rows = 0;
    for (const QByteArray &line : csv.readAll().split('\n')) {
        if (line.isEmpty())
            continue;
        for (const QByteArray &cell : line.split(','))
            values.push_back(float(std::stod(cell.toStdString())));
        ++rows;
    }
    const auto map = torch::tensor(values).view({rows, -1});
    auto test = data::loadFashionMnist(LATHE_TEST_FASHION_DIR, data::Split::Test);
    QVERIFY(test.has_value());
    const auto image = (*test)->images(torch::tensor({std::int64_t(3)}))[0];
    auto heat = inspect::heatmapRgba(map, kernels::Colormap::Magma);
    QVERIFY(heat.has_value());
    auto expected = inspect::overlayRgba(image, *heat, inspect::kHeatmapOpacity);
    QVERIFY(expected.has_value());
    int width = 0, height = 0, channels = 0;
    const std::unique_ptr<std::uint8_t, void (*)(void *)> png(
        stbi_load((stem + ".png").toUtf8().constData(), &width, &height, &channels, 4),
        stbi_image_free);
    QVERIFY(png);
    const auto cols = map.size(1);
    const int factor = width / int(cols);
    QVERIFY(factor >= 1 && height == factor * int(map.size(0)));
    const auto *bytes = expected->data_ptr<std::uint8_t>();
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const auto *want = bytes + 4 * ((y / factor) * cols + x / factor);
            const auto *got = png.get() + 4 * (std::int64_t(y) * width + x);
            QVERIFY2(std::equal(want, want + 4, got),
                     qPrintable(QString("%1.png pixel %2,%3").arg(stem).arg(x).arg(y)));
        }
    }
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void trainShowsUpInRuns()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        auto trained = cli.run(tinyTrain(600, 1) << "--name"
                                                 << "tiny");
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        auto listed = cli.run({"runs", "--json"});
        QCOMPARE(listed.exitCode, 0);
        const auto runs = QJsonDocument::fromJson(listed.out.toUtf8()).array();
        QCOMPARE(runs.size(), 1);
        const auto run = runs[0].toObject();
        QCOMPARE(run["name"].toString(), QString("tiny"));
        QCOMPARE(run["status"].toString(), QString("finished"));
        QCOMPARE(run["model"].toString(), QString("cnn"));
        QVERIFY(run["test_accuracy"].toDouble() > 0.3);

        auto shown = cli.run({"show", "tiny", "--json"});
        QCOMPARE(shown.exitCode, 0);
        const auto show = QJsonDocument::fromJson(shown.out.toUtf8()).object();
        QCOMPARE(show["config"].toObject()["data"].toObject()["subset"].toInt(), 600);
        QVERIFY(show["final_metrics"].toObject().contains("val/accuracy"));
        QVERIFY(!show["artifacts"].toArray().isEmpty());

        QCOMPARE(cli.run({"eval", "tiny", "--checkpoint", "last"}).exitCode, 0);
        auto second = cli.run(tinyTrain(600, 1) << "--set"
                                                << "optimizer.lr=0.01");
        QCOMPARE(second.exitCode, 0);
        auto compared = cli.run({"compare", "1", "2", "--json"});
        QCOMPARE(compared.exitCode, 0);
        const auto diff
            = QJsonDocument::fromJson(compared.out.toUtf8()).object()["config_diff"].toArray();
        QCOMPARE(diff.size(), 1);
        QCOMPARE(diff[0].toObject()["key"].toString(), QString("optimizer.lr"));

        // A second run asking for a name in use gets the next free one; "tiny" stays run 1.
        auto again = cli.run(tinyTrain(600, 1) << "--name"
                                               << "tiny");
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QVERIFY2(again.out.contains("run 3 (tiny-2):"), qPrintable(again.out));
        const auto named = [&](const QString &ref) {
            return QJsonDocument::fromJson(cli.run({"show", ref, "--json"}).out.toUtf8()).object();
        };
        QCOMPARE(named("tiny")["id"].toInt(), 1);
        QCOMPARE(named("tiny-2")["id"].toInt(), 3);
    }

    // A model PyTorch scripted, through the executables as a user runs them: trained on 5
    // classes (its last Linear replaced), listed as itself with its file's SHA-256, inspected
    // on one of its own layers, and exported to ONNX with the parity check passing.
    void anImportedModelEndToEnd()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath("r18.pt");
        const auto problem = testing::savePythonModel(testing::kResnet18, file);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        Cli cli(dir.path());
        auto trained = cli.run(tinyTrain(600, 1) << "--set"
                                                 << "finetune.torchscript=" + file << "--set"
                                                 << "data.classes=[0,1,2,3,4]"
                                                 << "--max-steps"
                                                 << "3");
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        QVERIFY2(trained.out.contains("ResNet (r18.pt)"), qPrintable(trained.out));
        const auto runs = QJsonDocument::fromJson(cli.run({"runs", "--json"}).out.toUtf8()).array();
        QCOMPARE(runs[0].toObject()["model"].toString(), QString("ResNet (r18.pt)"));
        const auto imported = runs[0].toObject()["imported_model"].toObject();
        QCOMPARE(imported["head"].toString(), QString("fc"));
        QCOMPARE(imported["sha256"].toString().toStdString(),
                 *util::sha256File(file.toStdString()));
        auto cam = cli.run({"inspect", "1", "--sample", "2", "--what", "gradcam", "--layer",
                            "layer2.1", "--out", dir.filePath("cam")});
        QVERIFY2(cam.exitCode == 0, qPrintable(cam.err));
        QVERIFY(QFile::exists(dir.filePath("cam/gradcam-sample2.png")));
        auto exported = cli.run({"export", "1", "--format", "onnx", "--out", dir.filePath("onnx")});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err + exported.out));
        QVERIFY2(exported.out.contains("parity: "), qPrintable(exported.out)); // exit 3 if failed
    }

    void exitCodes_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("bad value")
            << (QStringList{"train", kConfig, "--set", "optimizer.lr=-1"}) << 3 << "optimizer.lr";
        QTest::newRow("unknown key") << (QStringList{"train", kConfig, "--set", "training.epoch=3"})
                                     << 3 << "training.epoch";
        QTest::newRow("missing config")
            << (QStringList{"train", "/nonexistent.json"}) << 3 << "/nonexistent.json";
        QTest::newRow("bad data path")
            << (QStringList{"train", kConfig, "--set", "data.path=/nonexistent"}) << 3
            << "dataset-fashion-mnist";
        QTest::newRow("unknown command") << (QStringList{"fly"}) << 2 << "unknown command";
        QTest::newRow("unknown option") << (QStringList{"runs", "--colour"}) << 2 << "--colour";
        QTest::newRow("no such run") << (QStringList{"show", "42"}) << 3 << "42";
    }
    void exitCodes()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, phrase);
        QTemporaryDir dir;
        Cli cli(dir.path());
        if (args[0] == "show") // a store must exist for "no such run"
            QCOMPARE(cli.run(tinyTrain(300, 1)).exitCode, 0);
        auto result = cli.run(args);
        QCOMPARE(result.exitCode, exitCode);
        QVERIFY2(result.err.contains(phrase), qPrintable(result.err));
        if (args[0] == "train") // a refused config leaves no run behind
            QVERIFY(!QFile::exists(cli.db()) || cli.run({"runs", "--json"}).out.trimmed() == "[]");
    }

    // A run stopped before its first epoch ended has "last" only: every command that takes a
    // checkpoint uses it by default and says so; asking for "best" lists what there is.
    void aRunWithoutBestUsesLast()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        auto trained = cli.run(tinyTrain(600, 1) << "--max-steps"
                                                 << "3");
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        auto exported
            = cli.run({"export", "1", "--format", "safetensors", "--out", dir.path() + "/export"});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY2(exported.out.contains("\"last\"") && exported.out.contains("no \"best\""),
                 qPrintable(exported.out));
        auto evaluated = cli.run({"eval", "1"});
        QVERIFY2(evaluated.exitCode == 0, qPrintable(evaluated.err));
        QVERIFY2(evaluated.err.contains("\"last\""), qPrintable(evaluated.err));
        QVERIFY2(evaluated.out.contains("last checkpoint"), qPrintable(evaluated.out));
        auto confusion = cli.run({"confusion", "1"});
        QVERIFY2(confusion.exitCode == 0 && confusion.err.contains("\"last\""),
                 qPrintable(confusion.err));
        auto best = cli.run({"eval", "1", "--checkpoint", "best"});
        QCOMPARE(best.exitCode, 3);
        QVERIFY2(best.err.contains("available: last"), qPrintable(best.err));
        auto finetuned = cli.run({"finetune", "1", kConfig, "--max-steps", "1", "--set",
                                  "data.subset=600", "--set", "model.widths=[8,16]"});
        QVERIFY2(finetuned.exitCode == 0, qPrintable(finetuned.err));
        auto shown = cli.run({"show", "2", "--json"});
        // Keep the object: operator[] on a temporary QJsonObject returns a reference into it.
        const QJsonObject show = QJsonDocument::fromJson(shown.out.toUtf8()).object();
        const QJsonObject finetune = show.value("config").toObject().value("finetune").toObject();
        QCOMPARE(finetune.value("checkpoint").toString(), QString("last"));
    }

    void ctrlCStopsCleanly()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        std::unique_ptr<QProcess> process(cli.start(tinyTrain(5000, 20)));
        QTRY_VERIFY_WITH_TIMEOUT(countRows(cli.db(), 1, "train/loss") > 0, 60000);
        ::kill(pid_t(process->processId()), SIGINT);
        QVERIFY(process->waitForFinished(60000));
        QCOMPARE(process->exitCode(), 0);
        auto store = track::RunStore::open(cli.db().toStdString());
        QVERIFY(store.has_value());
        QCOMPARE(statusOf(**store, 1), QString("stopped"));
        QVERIFY(QFile::exists(dir.path() + "/runs/1/last.pt"));

        auto resumed = cli.run({"resume", "1", "--max-steps", "100"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    }

    // SIGKILL mid-run: the database opens, the run is interrupted, flushed rows are intact,
    // and the run resumes from its last checkpoint.
    void sigkillLeavesInterruptedRun()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        std::unique_ptr<QProcess> process(cli.start(tinyTrain(1200, 30)));
        // Wait until at least one epoch checkpoint exists and more rows have been flushed.
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(dir.path() + "/runs/1/last.pt"), 60000);
        const auto seen = countRows(cli.db(), 1, "train/loss");
        QVERIFY(seen > 0);
        ::kill(pid_t(process->processId()), SIGKILL);
        QVERIFY(process->waitForFinished(10000));

        auto store = track::RunStore::open(cli.db().toStdString());
        QVERIFY2(store.has_value(), store ? "" : store.error().toString().c_str());
        QCOMPARE(statusOf(**store, 1), QString("interrupted"));
        auto series = (*store)->metricSeries(1, "train/loss");
        QVERIFY(series.has_value());
        QVERIFY(std::int64_t(series->size()) >= seen);
        for (std::size_t i = 0; i < series->size(); ++i)
            QCOMPARE((*series)[i].step, std::int64_t(i + 1)); // gap-free from step 1
        store->reset();

        const auto checkpoint
            = train::readCheckpointState((dir.path() + "/runs/1/last.pt").toStdString());
        QVERIFY(checkpoint.has_value());
        QTest::qWait(3000); // the crashed run waits before it is resumed: not training time
        auto resumed = cli.run({"resume", "1", "--max-steps", "60"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        const auto shown
            = QJsonDocument::fromJson(cli.run({"show", "1", "--json"}).out.toUtf8()).object();
        const double training = shown["duration_s"].toDouble(), wall = shown["wall_s"].toDouble();
        QVERIFY2(training > 0 && wall - training >= 3.0,
                 qPrintable(QString("training %1 s, wall %2 s").arg(training).arg(wall)));
        const auto text = cli.run({"show", "1"}).out;
        QVERIFY2(QRegularExpression(R"(trained \d+s \(wall time \d+s\))").match(text).hasMatch(),
                 qPrintable(text));
        auto after = track::RunStore::open(cli.db().toStdString());
        QVERIFY(after.has_value());
        auto steps = (*after)->metricSeries(1, "train/loss");
        QVERIFY(steps.has_value());
        // Rows up to the checkpoint are kept; the resumed part continues from it without
        // duplicates or gaps, up to the step limit.
        QCOMPARE(steps->back().step, std::int64_t(60));
        for (std::size_t i = 1; i < steps->size(); ++i) {
            QVERIFY((*steps)[i].step > (*steps)[i - 1].step);
            if ((*steps)[i].step > checkpoint->step)
                QCOMPARE((*steps)[i].step, (*steps)[i - 1].step + 1);
        }
    }

    // A checkpoint file replaced by one that crashes LibTorch's reader (found by fuzz_checkpoint:
    // tests/data/checkpoint-crashes-libtorch.pt) is refused by its SHA-256 before anything
    // parses it.
    void aDamagedCheckpointIsNeverParsed()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        QVERIFY(cli.run(tinyTrain(300, 1)).exitCode == 0);
        const QString best = dir.path() + "/runs/1/best.pt";
        QVERIFY(QFile::remove(best));
        QVERIFY(QFile::copy(LATHE_TEST_DATA "/checkpoint-crashes-libtorch.pt", best));
        for (const QStringList &args : {QStringList{"show", "1"}, QStringList{"runs"}}) {
            const auto outcome = cli.run(args);
            QVERIFY2(outcome.exitCode == 0 || outcome.exitCode == 3,
                     qPrintable(args.join(' ') + ": exit " + QString::number(outcome.exitCode)));
        }
        const auto evaluated = cli.run({"eval", "1"});
        QCOMPARE(evaluated.exitCode, 3);
        QVERIFY2(evaluated.err.contains(best)
                     && evaluated.err.contains("does not match the SHA-256"),
                 qPrintable(evaluated.err));
        QVERIFY(cli.run({"eval", "1", "--checkpoint", "last"}).exitCode == 0);
    }

    // Two stores in one folder each keep their runs' files apart: run 1 of one never
    // overwrites run 1 of the other.
    void storesInOneFolderKeepTheirRunsApart()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        const QString other = dir.path() + "/other.db";
        QVERIFY(cli.run(tinyTrain(300, 1)).exitCode == 0);
        QVERIFY(cli.run(tinyTrain(300, 1) + QStringList{"--db", other}).exitCode == 0);
        QVERIFY(QFile::exists(dir.path() + "/runs/1/last.pt"));
        QVERIFY(QFile::exists(dir.path() + "/runs/other/1/last.pt"));
        for (const auto &db : {cli.db(), other}) {
            const auto evaluated = cli.run({"eval", "1", "--db", db});
            QVERIFY2(evaluated.exitCode == 0, qPrintable(evaluated.err));
        }
    }

    // A store a newer Lathe wrote (a higher schema version) is listed and shown read-only with
    // a warning; a command that would write refuses it, and the file stays as it was.
    void aNewerStoreIsReadOnly()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        QVERIFY(cli.run(tinyTrain(300, 1) + QStringList{"--name", "kept"}).exitCode == 0);
        const int future = track::RunStore::latestSchemaVersion() + 1;
        {
            sqlite3 *db = nullptr;
            QCOMPARE(sqlite3_open(cli.db().toUtf8().constData(), &db), SQLITE_OK);
            const auto pragma = "PRAGMA user_version = " + std::to_string(future);
            const int set = sqlite3_exec(db, pragma.c_str(), nullptr, nullptr, nullptr);
            sqlite3_close(db);
            QCOMPARE(set, SQLITE_OK);
        }
        const auto before = util::sha256File(cli.db().toStdString());
        QVERIFY(before.has_value());
        const QString warning
            = QString("warning: %1: the database has schema version %2").arg(cli.db()).arg(future);
        for (const QStringList &args :
             {QStringList{"runs"}, QStringList{"show", "kept"}, QStringList{"compare", "1", "1"}}) {
            const auto read = cli.run(args);
            QVERIFY2(read.exitCode == 0, qPrintable(args.join(' ') + ": " + read.err));
            QVERIFY2(read.err.contains(warning) && read.err.contains("it is open read-only"),
                     qPrintable(read.err));
        }
        QVERIFY(cli.run({"runs"}).out.contains("kept"));
        const auto refused = cli.run(tinyTrain(300, 1));
        QCOMPARE(refused.exitCode, 3);
        QVERIFY2(refused.err.contains("open it with a newer Lathe"), qPrintable(refused.err));
        QCOMPARE(util::sha256File(cli.db().toStdString()).value(), *before);
    }

    // A checkpoint write that fails as on a full disk (here a file-size limit: EFBIG) stops the
    // run with exit 4 and a message naming the file; the run is marked failed with that reason,
    // no temporary file is left, and the run trained before it stays intact; an export that
    // fails the same way leaves no file.
    void aFullDiskFailsTheRunAndTheExportCleanly()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        QVERIFY(cli.run(tinyTrain(300, 1) + QStringList{"--name", "before"}).exitCode == 0);
        // The default widths: a checkpoint of ~760 KB, over a 400 KB limit the store stays under.
        const QStringList args{"train",           kConfig, "--set",
                               "data.subset=300", "--set", "training.epochs=1",
                               "--name",          "full"};
        const auto failed = cli.run(args, 120000, 400 * 1024);
        QCOMPARE(failed.exitCode, 4);
        const QString file = dir.path() + "/runs/2/best.pt";
        QVERIFY2(
            failed.err.contains(file + ": cannot write checkpoint: cannot write: File too large"),
            qPrintable(failed.err));
        QVERIFY2(QDir(dir.path() + "/runs/2").entryList(QDir::Files).isEmpty(),
                 qPrintable(QDir(dir.path() + "/runs/2").entryList(QDir::Files).join(", ")));
        const auto shown
            = QJsonDocument::fromJson(cli.run({"show", "full", "--json"}).out.toUtf8()).object();
        QCOMPARE(shown["status"].toString(), QString("failed"));
        QVERIFY2(shown["error"].toString().contains("File too large"),
                 qPrintable(QJsonDocument(shown).toJson()));
        const auto before = cli.run({"eval", "before"});
        QVERIFY2(before.exitCode == 0, qPrintable(before.err));

        // An export that cannot be written leaves no file behind, in any format: a run of the
        // default widths exports ~250 KB, over a 160 KB limit the store stays under.
        QVERIFY(cli.run({"train", kConfig, "--set", "data.subset=300", "--set", "training.epochs=1",
                         "--name", "wide"})
                    .exitCode
                == 0);
        for (const char *format : {"torchscript", "onnx", "safetensors"}) {
            const QString out = dir.path() + "/export-" + format;
            const auto exported
                = cli.run({"export", "wide", "--format", format, "--out", out}, 120000, 160 * 1024);
            QCOMPARE(exported.exitCode, 3);
            QVERIFY2(exported.err.contains("File too large"), qPrintable(exported.err));
            QVERIFY2(QDir(out).entryList(QDir::Files).isEmpty(),
                     qPrintable(QDir(out).entryList(QDir::Files).join(", ")));
        }
    }

    // A checkpoint whose bytes changed since it was written is passed over, naming the file:
    // resume falls back to the newest one that verifies, then to step 0 when none does, and
    // every resumed run ends with the weights of the run trained without a break.
    void resumeFallsBackToACheckpointThatVerifies()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        // 300 samples at batch 64: 5 steps an epoch. The reference trains its 3 epochs at once.
        auto args = tinyTrain(300, 3);
        QVERIFY(cli.run(args + QStringList{"--name", "reference"}).exitCode == 0);
        const auto weights = [&](const QString &run) {
            const QString out = dir.path() + "/export-" + run;
            const auto exported = cli.run(
                {"export", run, "--format", "safetensors", "--checkpoint", "last", "--out", out});
            if (exported.exitCode != 0)
                return QByteArray("export failed: " + exported.err.toUtf8());
            const auto files = QDir(out).entryList({"*.safetensors"});
            QFile file(out + "/" + files.value(0));
            if (!file.open(QIODevice::ReadOnly))
                return QByteArray("no safetensors file");
            // The tensors' bytes, after the JSON header (whose metadata names the run).
            const auto bytes = file.readAll();
            const auto header = qFromLittleEndian<quint64>(bytes.constData());
            return QCryptographicHash::hash(bytes.mid(qsizetype(8 + header)),
                                            QCryptographicHash::Sha256);
        };
        const auto reference = weights("reference");

        // Stopped in epoch 2 (step 7): "last" is at step 7, "best" and "epoch-1" at step 5.
        QVERIFY(cli.run(args + QStringList{"--name", "changed", "--max-steps", "7"}).exitCode == 0);
        const QString runDir = dir.path() + "/runs/2/";
        for (const char *name : {"last.pt", "best.pt"}) {
            QFile file(runDir + name);
            QVERIFY(file.open(QIODevice::ReadWrite));
            file.seek(file.size() / 2);
            const char byte = file.peek(1).at(0);
            file.write(QByteArray(1, char(byte ^ 0x5a)));
        }
        auto resumed = cli.run({"resume", "changed"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("cannot resume from checkpoint \"last\"")
                     && resumed.err.contains(runDir + "last.pt")
                     && resumed.err.contains("does not match the SHA-256"),
                 qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("resuming from checkpoint \"epoch-1\" (step 5) instead"),
                 qPrintable(resumed.err));
        QCOMPARE(weights("changed"), reference);
        QCOMPARE(countRows(cli.db(), 2, "train/loss"), std::int64_t(15));

        // No checkpoint left at all: the run starts again from the beginning.
        QVERIFY(cli.run(args + QStringList{"--name", "gone", "--max-steps", "7"}).exitCode == 0);
        for (const auto &file : QDir(dir.path() + "/runs/3").entryList({"*.pt"}))
            QVERIFY(QFile::remove(dir.path() + "/runs/3/" + file));
        resumed = cli.run({"resume", "gone"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("training starts again from step 0"),
                 qPrintable(resumed.err));
        QCOMPARE(weights("gone"), reference);
        QCOMPARE(countRows(cli.db(), 3, "train/loss"), std::int64_t(15));

        // A fine-tune killed before its first checkpoint (none recorded) starts again from its
        // parent's weights, as the uninterrupted fine-tune did.
        const QStringList finetune{"finetune",
                                   "reference",
                                   kConfig,
                                   "--set",
                                   "data.subset=300",
                                   "--set",
                                   "training.epochs=1",
                                   "--set",
                                   "model.widths=[8,16]",
                                   "--set",
                                   "training.batch_size=64"};
        QVERIFY(cli.run(finetune + QStringList{"--name", "child"}).exitCode == 0);
        QVERIFY(cli.run(finetune + QStringList{"--name", "early", "--max-steps", "2"}).exitCode
                == 0);
        {
            sqlite3 *db = nullptr;
            QCOMPARE(sqlite3_open(cli.db().toUtf8().constData(), &db), SQLITE_OK);
            const int deleted = sqlite3_exec(
                db,
                "DELETE FROM artifacts WHERE run_id = (SELECT id FROM runs WHERE name = 'early')",
                nullptr, nullptr, nullptr);
            sqlite3_close(db);
            QCOMPARE(deleted, SQLITE_OK);
        }
        resumed = cli.run({"resume", "early"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("training starts again from step 0"),
                 qPrintable(resumed.err));
        QCOMPARE(weights("early"), weights("child"));
    }

    // inspect writes a PNG (and the raw map) per method; confusion agrees with eval.
    void inspectAndConfusion()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        QCOMPARE(cli.run(tinyTrain(600, 1) << "--name"
                                           << "tiny")
                     .exitCode,
                 0);
        const QString out = dir.path() + "/out";
        const QStringList sample{"inspect", "tiny", "--sample", "3", "--out", out};
        const std::vector<std::pair<QStringList, QString>> cases{
            {{"--what", "featuremaps"}, "featuremaps-pool2-sample3.png"},
            {{"--what", "featuremaps", "--layer", "conv1"}, "featuremaps-conv1-sample3.png"},
            {{"--what", "gradcam", "--checkpoint", "last"}, "gradcam-sample3.png"},
            {{"--what", "saliency"}, "saliency-sample3.png"},
            {{"--what", "ig", "--steps", "16"}, "ig-sample3.png"},
            {{"--what", "occlusion"}, "occlusion-sample3.png"}};
        for (const auto &[args, file] : cases) {
            auto result = cli.run(sample + args);
            QVERIFY2(result.exitCode == 0, qPrintable(result.err));
            QVERIFY2(result.out.contains(out + "/" + file), qPrintable(result.out));
            if (args[1] == "ig")
                QVERIFY2(result.out.contains("completeness error"), qPrintable(result.out));
            QFile png(out + "/" + file);
            QVERIFY(png.open(QIODevice::ReadOnly));
            const auto header = png.read(24);
            QVERIFY(header.startsWith("\x89PNG"));
            // IHDR width and height: 28x28 inputs are enlarged for viewing.
            const auto width = qFromBigEndian<quint32>(header.constData() + 16);
            const auto height = qFromBigEndian<quint32>(header.constData() + 20);
            QVERIFY2(width >= 196 && height >= 196, qPrintable(file));
        }
        QVERIFY(QFile::exists(out + "/ig-sample3.csv"));
        checkSaliencyPng(out + "/saliency-sample3");
        if (QTest::currentTestFailed())
            return;

        auto confusion = cli.run({"confusion", "tiny", "--checkpoint", "last", "--json"});
        QVERIFY2(confusion.exitCode == 0, qPrintable(confusion.err));
        const auto matrix = QJsonDocument::fromJson(confusion.out.toUtf8()).object();
        int total = 0;
        for (const auto &row : matrix["confusion"].toArray())
            for (const auto &count : row.toArray())
                total += count.toInt();
        QCOMPARE(total, 600);
        auto eval = cli.run({"eval", "tiny", "--checkpoint", "last", "--json"});
        QCOMPARE(eval.exitCode, 0);
        const auto evaluated = QJsonDocument::fromJson(eval.out.toUtf8()).object();
        QCOMPARE(matrix["accuracy"].toDouble(), evaluated["accuracy"].toDouble());
        QCOMPARE(matrix["confusion"].toArray(), evaluated["confusion"].toArray());
        auto table = cli.run({"confusion", "tiny"});
        QCOMPARE(table.exitCode, 0);
        QVERIFY(table.out.contains("Ankle boot") && table.out.contains("confusion matrix"));
    }

    // Bad inspect/confusion requests: clear messages naming the culprit, exit codes 2 and 3.
    void inspectErrors()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        QCOMPARE(cli.run(tinyTrain(300, 1) << "--name"
                                           << "tiny")
                     .exitCode,
                 0);
        const QStringList base{"inspect", "tiny", "--out", dir.path() + "/out"};
        struct Case
        {
            QStringList args;
            int exitCode;
            QStringList phrases;
        };
        const std::vector<Case> cases{
            {base + QStringList{"--sample", "0", "--what", "gradcam", "--layer", "nope"},
             3,
             {"\"nope\"", "conv1, bn1, relu1, pool1, conv2"}},
            {base + QStringList{"--sample", "0", "--what", "featuremaps", "--layer", "head"},
             3,
             {"\"head\" is not a spatial layer", "pool2"}},
            {base + QStringList{"--sample", "300", "--what", "saliency"},
             3,
             {"sample 300", "300 samples"}},
            {base + QStringList{"--sample", "0", "--what", "dream"}, 2, {"\"dream\"", "saliency"}},
            {base + QStringList{"--what", "ig"}, 2, {"--sample"}},
            {base + QStringList{"--sample", "0", "--what", "saliency", "--checkpoint", "epoch-9"},
             3,
             {"\"epoch-9\"", "available: best, last"}},
            {{"confusion", "ghost"}, 3, {"ghost"}}};
        for (const auto &c : cases) {
            auto result = cli.run(c.args);
            QVERIFY2(result.exitCode == c.exitCode,
                     qPrintable(c.args.join(' ') + ": " + result.err));
            for (const auto &phrase : c.phrases)
                QVERIFY2(result.err.contains(phrase), qPrintable(result.err));
        }
    }

    // Importing TorchScript runs code from the file: train and finetune say so on stderr, once,
    // naming the file and pointing to safetensors; a run of Lathe's own model does not. The
    // file's layer names are PyTorch's, which may hold a '/': an inspection PNG named after one
    // stays in --out.
    void aTorchScriptImportWarnsThatItRunsCode()
    {
        const testing::PythonModel slashed{"slashed",
                                           "m = nn.Sequential()\n"
                                           "m.add_module('conv/1', nn.Conv2d(1, 8, 3, padding=1))\n"
                                           "m.add_module('relu', nn.ReLU())\n"
                                           "m.add_module('flat', nn.Flatten())\n"
                                           "m.add_module('fc', nn.Linear(8 * 28 * 28, 10))",
                                           true};
        QTemporaryDir dir;
        const QString file = dir.filePath("cnn.pt");
        const auto problem = testing::savePythonModel(slashed, file);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        Cli cli(dir.path());
        const QString warning = "lathe-cli: warning: the TorchScript model runs code from " + file
                                + ": only open files you trust; safetensors "
                                  "(finetune.safetensors) loads weights without running code\n";
        auto imported = cli.run(tinyTrain(300, 1) << "--set"
                                                  << "finetune.torchscript=" + file << "--max-steps"
                                                  << "2");
        QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
        QCOMPARE(imported.err.count(warning), 1);
        // A fine-tune of that run loads the same file (its model): said too.
        auto tuned
            = cli.run({"finetune", "1", kConfig, "--set", "data.subset=300", "--max-steps", "1"});
        QVERIFY2(tuned.exitCode == 0, qPrintable(tuned.err));
        QCOMPARE(tuned.err.count(warning), 1);
        auto own = cli.run(tinyTrain(300, 1) << "--max-steps"
                                             << "1");
        QVERIFY2(own.exitCode == 0, qPrintable(own.err));
        QVERIFY2(!own.err.contains("runs code"), qPrintable(own.err));

        auto maps = cli.run({"inspect", "1", "--sample", "0", "--what", "featuremaps", "--layer",
                             "conv/1", "--out", dir.filePath("maps")});
        QVERIFY2(maps.exitCode == 0, qPrintable(maps.err));
        QCOMPARE(QDir(dir.filePath("maps")).entryList(QDir::AllEntries | QDir::NoDotAndDotDot),
                 QStringList{"featuremaps-conv_1-sample0.png"});
    }

    // A plugin folder other users could write is skipped, and `plugins` says where and why.
    void aPluginFolderOthersCanWriteIsSkipped()
    {
        QTemporaryDir dir;
        const QString plugins = dir.filePath("plugins");
        QVERIFY(QDir().mkdir(plugins));
        QVERIFY(QFile::copy(LATHE_TEST_PLUGIN_DIR "/class-accuracy.so",
                            plugins + "/class-accuracy.so"));
        std::filesystem::permissions(plugins.toStdString(), std::filesystem::perms::all); // 0777
        auto listed = Cli(dir.path()).run({"plugins", "--plugin-dir", plugins});
        QCOMPARE(listed.exitCode, 0);
        const QString expected = QString("refused  (not opened)\n  %1/class-accuracy.so\n"
                                         "  skipped: the folder %1 is writable by its group and "
                                         "others (mode 0777): chmod go-w %1;")
                                     .arg(plugins);
        QVERIFY2(listed.out.contains(expected), qPrintable(listed.out));
    }
};

LATHE_TEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
