// Exporting a stored run: each format written with its config and model card, checked against
// the checkpoint, recorded in the store; int8 and pruning report accuracy and size; LoRA is
// merged; a hostile run name or planted links write nothing outside the chosen folder; bad
// options and unknown runs change nothing.
#include "core/export/run_export.h"
#include "core/formats/safetensors.h"
#include "core/track/run_store.h"
#include "core/util/environment.h"
#include "core/util/sha256.h"
#include "tests/qverify_ok.h"
#include "tests/read_file.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>

using namespace lathe;
namespace fs = std::filesystem;

namespace {

nlohmann::json readJson(const fs::path &file)
{
    std::ifstream in(file);
    return nlohmann::json::parse(in);
}

std::size_t count(track::RunStore &store, std::int64_t run, const std::string &eventKind)
{
    auto events = store.events(run);
    return events ? std::size_t(
               std::ranges::count_if(*events, [&](const auto &e) { return e.kind == eventKind; }))
                  : 0;
}

// Every file and symlink under `root`, relative to it.
std::vector<std::string> filesUnder(const fs::path &root)
{
    std::vector<std::string> files;
    for (const auto &entry : fs::recursive_directory_iterator(root))
        if (!entry.is_directory() || entry.is_symlink())
            files.push_back(entry.path().lexically_relative(root).generic_string());
    return files;
}

} // namespace

class TestRunExport : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path m_db;
    std::int64_t m_run = 0;
    std::int64_t m_renamed = 0; ///< hostileRunNamesStayInTheOutFolder's run, renamed each row

    exporting::ExportOptions options(const std::string &format, const std::string &folder) const
    {
        exporting::ExportOptions o;
        o.format = format;
        o.outDir = fs::path(m_dir.path().toStdString()) / folder;
#ifdef LATHE_TEST_ONNXRUNTIME_DIR
        o.onnxRuntimeDir = LATHE_TEST_ONNXRUNTIME_DIR;
#endif
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = fs::path(m_dir.path().toStdString()) / "export.db";
        auto config = testing::tinyConfig(1000, 1, "cnn", {8, 16});
        config.histograms.every = 0;
        m_run = testing::trainRun(m_db, config, "to-export");
    }

    void everyFormatIsWrittenAndChecked_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("file");
        QTest::newRow("torchscript") << "torchscript"
                                     << "model.pt";
        QTest::newRow("onnx") << "onnx"
                              << "model.onnx";
        QTest::newRow("safetensors") << "safetensors"
                                     << "model.safetensors";
    }
    void everyFormatIsWrittenAndChecked()
    {
        QFETCH(QString, format);
        QFETCH(QString, file);
        const auto o = options(format.toStdString(), format.toStdString());
        std::vector<std::string> phases;
        auto report = exporting::exportRun(
            m_db, "to-export", o, [&](const std::string &p, double) { phases.push_back(p); });
        QVERIFY_OK(report);
        QCOMPARE(phases.back(), std::string("done"));
        QVERIFY(fs::exists(o.outDir / file.toStdString()));
        QVERIFY(fs::exists(o.outDir / "config.json"));
        const auto &p = report->parity;
        if (format == "onnx" && !p.checked)
            qWarning("ONNX parity not checked here: %s", p.detail.c_str());
        else {
            QVERIFY2(p.checked && p.passed, p.detail.c_str());
            QVERIFY(p.maxAbsDiff <= p.tolerance);
        }
        // config.json says how to feed the model.
        const auto config = readJson(o.outDir / "config.json");
        QCOMPARE(config.at("classes").size(), std::size_t(10));
        QCOMPARE(config.at("input_shape"), (nlohmann::json{1, 28, 28}));
        QCOMPARE(config.at("normalization").at("mean").size(), std::size_t(1));
        // The model card lists every file with its SHA-256 and the parity result.
        const auto card = readJson(o.outDir / "model_card.json");
        QCOMPARE(card.at("run").at("name").get<std::string>(), std::string("to-export"));
        QCOMPARE(card.at("parity").at("passed").get<bool>(), p.passed);
        // Where the run trained, as its run recorded it (this machine, Fashion-MNIST's files).
        const auto &trainedOn = card.at("trained_on");
        QCOMPARE(trainedOn.at("host").get<std::string>(), util::machineEnvironment().host);
        QCOMPARE(trainedOn.at("cpu").at("model").get<std::string>(), util::readCpuInfo().model);
        QCOMPARE(trainedOn.at("data").size(), std::size_t(4));
        // Exported at a local time in ISO 8601 (2026-12-03T10:15:42+01:00), not a Unix time.
        const auto created = QString::fromStdString(card.at("created").get<std::string>());
        QVERIFY2(QRegularExpression(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$)")
                     .match(created)
                     .hasMatch(),
                 qPrintable(created));
        QVERIFY(std::ifstream(o.outDir / "MODEL_CARD.md").good());
        const std::string markdown = testing::readFile(o.outDir / "MODEL_CARD.md");
        QVERIFY(markdown.find("| Exported | " + created.toStdString() + " |") != std::string::npos);
        for (const auto &entry : card.at("files")) {
            auto digest = util::sha256File(o.outDir / entry.at("path").get<std::string>());
            QVERIFY_OK(digest);
            QCOMPARE(entry.at("sha256").get<std::string>(), *digest);
        }
        QCOMPARE(card.at("files").size(), std::size_t(2)); // the model and config.json
        // Recorded: an artifact per file and an "exported" event.
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        auto artifacts = (*store)->artifacts(m_run);
        QVERIFY_OK(artifacts);
        QVERIFY(std::ranges::any_of(*artifacts, [&](const auto &a) {
            return a.path == (o.outDir / file.toStdString()).string()
                   && a.kind == "export/" + format.toStdString() && !a.sha256.empty();
        }));
        QVERIFY(count(**store, m_run, "exported") >= 1);
    }

    void int8AndPruningReportAccuracyAndSize()
    {
        auto o = options("safetensors", "int8");
        o.quantizeInt8 = true;
        o.prune = 0.5;
        auto report = exporting::exportRun(m_db, std::to_string(m_run), o);
        QVERIFY_OK(report);
        QVERIFY(report->compression.has_value());
        const auto &c = *report->compression;
        qInfo("int8 + 50%% pruning: %lld -> %lld bytes, accuracy %.4f -> %.4f",
              (long long)c.bytesBefore, (long long)c.bytesAfter, c.accuracyBefore, c.accuracyAfter);
        QVERIFY(c.bytesAfter * 3 < c.bytesBefore); // int8 weights, float32 biases
        QVERIFY(c.weightsPruned > 0);
        QVERIFY(c.accuracyBefore > 0.5);
        QVERIFY(c.accuracyAfter > c.accuracyBefore - 0.1);
        QVERIFY2(report->parity.passed, report->parity.detail.c_str());
        auto file = formats::readSafetensorsFile(o.outDir / "model.safetensors");
        QVERIFY_OK(file);
        const auto weight = std::ranges::find_if(
            file->tensors, [](const auto &t) { return t.first == "conv1.weight"; });
        QVERIFY(weight != file->tensors.end());
        QCOMPARE(weight->second.scalar_type(), torch::kChar);
    }

    void aLoraRunIsExportedMerged()
    {
        auto config = testing::tinyConfig(600, 1, "mlp", {32});
        config.histograms.every = 0;
        config.finetune.run = "to-export";
        config.finetune.loraRank = 2;
        // A LoRA fine-tune of a cnn run uses the cnn (its parent's model).
        auto job = train::RunJob::createNew(config, {m_db, "lora", 0});
        QVERIFY_OK(job);
        QVERIFY_OK((*job)->run());
        auto report = exporting::exportRun(m_db, "lora", options("torchscript", "lora"));
        QVERIFY_OK(report);
        QVERIFY2(report->parity.passed, report->parity.detail.c_str());
    }

    // A run whose name climbs out of folders exports into the chosen folder and nowhere else,
    // in every format; links planted in that folder, at the names the export writes and at their
    // temporaries, are replaced and never written through, and the model card lists no link.
    void hostileRunNamesStayInTheOutFolder_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("climbs out") << "../../etc/x";
        QTest::newRow("sub-folder") << "a/b";
        QTest::newRow("absolute") << "/tmp/lathe-escape/x";
        QTest::newRow("dot dot") << "..";
    }
    void hostileRunNamesStayInTheOutFolder()
    {
        QFETCH(QString, name);
        if (m_renamed == 0) {
            auto config = testing::tinyConfig(300, 1, "cnn", {4, 8});
            config.histograms.every = 0;
            m_renamed = testing::trainRun(m_db, config, "renamed");
        }
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        QVERIFY_OK((*store)->rename(m_renamed, name.toStdString()));
        QTemporaryDir root;
        const fs::path top = root.path().toStdString();
        const fs::path victim = top / "outside" / "victim";
        fs::create_directories(victim.parent_path());
        std::ofstream(victim) << "untouched";
        const std::map<std::string, std::string> models{{"torchscript", "model.pt"},
                                                        {"onnx", "model.onnx"},
                                                        {"safetensors", "model.safetensors"}};
        for (const auto &[format, model] : models) {
            auto o = options(format, "");
            o.outDir = top / "out" / format;
            fs::create_directories(o.outDir);
            for (const std::string &file :
                 {model, std::string("config.json"), std::string("MODEL_CARD.md"),
                  std::string("model_card.json")}) {
                fs::create_symlink(victim, o.outDir / file);
                fs::create_symlink(victim, o.outDir / (file + ".tmp"));
            }
            fs::create_symlink(victim, o.outDir / "notes");
            auto report = exporting::exportRun(m_db, name.toStdString(), o);
            QVERIFY_OK(report);
            QCOMPARE(report->runId, m_renamed);
            QCOMPARE(report->files.size(), std::size_t(4));
            for (const auto &file : report->files) {
                QCOMPARE(file.parent_path(), o.outDir);
                QVERIFY2(fs::is_regular_file(fs::symlink_status(file)), file.c_str());
            }
            const auto card = readJson(o.outDir / "model_card.json");
            QCOMPARE(card.at("run").at("name").get<std::string>(), name.toStdString());
            QCOMPARE(card.at("files").size(), std::size_t(2)); // the model and config.json
        }
        QCOMPARE(testing::readFile(victim), std::string("untouched"));
        // Nothing else was written: every file under the temporary folder is an export's (or
        // the planted link and its target), and nothing is at the absolute name.
        for (const auto &file : filesUnder(top))
            QVERIFY2(file.starts_with("out/") || file == "outside/victim", file.c_str());
        QVERIFY(!fs::exists("/tmp/lathe-escape"));
    }

    void badExportsChangeNothing_data()
    {
        QTest::addColumn<QString>("run");
        QTest::addColumn<QString>("format");
        QTest::addColumn<double>("prune");
        QTest::addColumn<QString>("checkpoint");
        QTest::addColumn<QString>("message");
        QTest::newRow("format") << "to-export"
                                << "tflite" << 0.0 << "best"
                                << "unknown format";
        QTest::newRow("prune") << "to-export"
                               << "onnx" << 1.0 << "best"
                               << "prune must be";
        QTest::newRow("run") << "nobody"
                             << "onnx" << 0.0 << "best"
                             << "nobody";
        QTest::newRow("checkpoint") << "to-export"
                                    << "onnx" << 0.0 << "epoch-42"
                                    << "epoch-42";
    }
    void badExportsChangeNothing()
    {
        QFETCH(QString, run);
        QFETCH(QString, format);
        QFETCH(double, prune);
        QFETCH(QString, checkpoint);
        QFETCH(QString, message);
        auto o = options(format.toStdString(), "bad");
        o.prune = prune;
        o.checkpoint = checkpoint.toStdString();
        auto store = track::RunStore::open(m_db);
        QVERIFY_OK(store);
        const auto before = (*store)->artifacts(m_run)->size();
        auto report = exporting::exportRun(m_db, run.toStdString(), o);
        QVERIFY(!report);
        QVERIFY2(QString::fromStdString(report.error().toString()).contains(message),
                 report.error().toString().c_str());
        QVERIFY(!fs::exists(o.outDir / "model.onnx"));
        QCOMPARE((*store)->artifacts(m_run)->size(), before);
    }
};

LATHE_TEST_GUILESS_MAIN(TestRunExport)
#include "tst_run_export.moc"
