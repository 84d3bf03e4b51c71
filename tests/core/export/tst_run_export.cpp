// Exporting a stored run: each format written with its config and model card, checked against
// the checkpoint, recorded in the store; int8 and pruning report accuracy and size; LoRA is
// merged; bad options and unknown runs change nothing.
#include "core/export/run_export.h"
#include "core/formats/safetensors.h"
#include "core/track/run_store.h"
#include "core/util/sha256.h"
#include "tests/qverify_ok.h"
#include "tests/tiny_run.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

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

} // namespace

class TestRunExport : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path m_db;
    std::int64_t m_run = 0;

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
        // Exported at a local time in ISO 8601 (2026-12-03T10:15:42+01:00), not a Unix time.
        const auto created = QString::fromStdString(card.at("created").get<std::string>());
        QVERIFY2(QRegularExpression(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$)")
                     .match(created)
                     .hasMatch(),
                 qPrintable(created));
        QVERIFY(std::ifstream(o.outDir / "MODEL_CARD.md").good());
        std::ifstream md(o.outDir / "MODEL_CARD.md");
        const std::string markdown((std::istreambuf_iterator<char>(md)), {});
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

QTEST_GUILESS_MAIN(TestRunExport)
#include "tst_run_export.moc"
