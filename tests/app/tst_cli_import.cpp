// lathe-cli import and export-metrics as a user runs them: exit codes, messages, and a round
// trip from TensorBoard event files through the store to CSV.
#include "tests/app/cli_runner.h"
#include "tests/core/interop/event_file_writer.h"
#include "tests/core/interop/mlflow_store_writer.h"
#include "tests/test_registry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <fstream>

using namespace lathe::testing;
namespace fs = std::filesystem;

class TestCliImport : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    fs::path root() const { return fs::path(m_dir.path().toStdString()); }
    QString logs() const { return QString::fromStdString((root() / "logs").string()); }
    std::int64_t m_damaged = 0;

private Q_SLOTS:
    void initTestCase()
    {
        EventFileBuilder train;
        train.add(fileVersionEvent(1.65e9));
        for (int step = 1; step <= 40; ++step) {
            train.scalar(1.65e9 + step, step, "train/loss", 1.0f / float(step));
            train.scalar(1.65e9 + step, step, "lr", 0.5f);
        }
        m_damaged = train.offsets()[21];
        train.bytes()[std::size_t(m_damaged) + 12 + 3] ^= 0x08;
        train.write(root() / "logs" / "train" / "events.out.tfevents.1650000000.h");
        EventFileBuilder eval;
        for (int step = 1; step <= 4; ++step)
            eval.scalar(1.65e9 + 10 * step, 10 * step, "val/accuracy", 0.25f * float(step));
        eval.write(root() / "logs" / "eval" / "events.out.tfevents.1650000000.h");
    }

    void importsWarnsAndSkipsTheSecondTime()
    {
        Cli cli(m_dir.path());
        auto first = cli.run({"import", logs()});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY2(first.out.contains("2 run(s) imported, 0 skipped"), qPrintable(first.out));
        QVERIFY2(first.out.contains("eval  0 params, 1 series, 4 samples"), qPrintable(first.out));
        const QString warning
            = QString("warning: %1: byte %2: bad data checksum")
                  .arg(QString::fromStdString(
                      (root() / "logs/train/events.out.tfevents.1650000000.h").string()))
                  .arg(m_damaged);
        QVERIFY2(first.err.contains(warning), qPrintable(first.err));
        auto second = cli.run({"import", logs(), "--format", "tensorboard", "--json"});
        QCOMPARE(second.exitCode, 0);
        const auto json = QJsonDocument::fromJson(second.out.toUtf8()).object();
        QCOMPARE(json["imported"].toInt(), 0);
        QCOMPARE(json["skipped"].toInt(), 2);
        QCOMPARE(json["runs"].toArray().size(), 2);
        auto runs = cli.run({"runs", "--json"});
        QCOMPARE(QJsonDocument::fromJson(runs.out.toUtf8()).array().size(), 2);
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        const QString missing = m_dir.filePath("absent");
        QTest::newRow("no path") << QStringList{"import"} << 2 << "usage: lathe-cli import";
        QTest::newRow("missing path")
            << QStringList{"import", missing} << 3 << missing + ": no such file or folder";
        QTest::newRow("unknown format") << QStringList{"import", logs(), "--format", "wandb"} << 3
                                        << "--format: \"wandb\" is not a format";
        QTest::newRow("wrong format")
            << QStringList{"import", logs(), "--format", "mlflow"} << 3 << "no MLflow runs";
        QTest::newRow("export: no --out")
            << QStringList{"export-metrics", "1"} << 2 << "--out DIR is required";
        QTest::newRow("export: unknown run")
            << QStringList{"export-metrics", "no-such-run", "--out", m_dir.filePath("x")} << 3
            << "no run with id or name 'no-such-run'";
    }
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        Cli cli(m_dir.path());
        auto outcome = cli.run(args);
        QCOMPARE(outcome.exitCode, exitCode);
        QVERIFY2(outcome.err.contains(message), qPrintable(outcome.err));
    }

    // Event file -> store -> CSV: the samples come back with their steps, times and values.
    void exportMetricsRoundTrip()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        QCOMPARE(cli.run({"import", logs()}).exitCode, 0);
        const QString out = dir.filePath("csv");
        auto exported = cli.run({"export-metrics", "train", "eval", "--out", out});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY2(exported.out.contains("(train): 79 rows"), qPrintable(exported.out));
        QStringList csvs = QDir(out).entryList({"*.metrics.csv"}, QDir::Files, QDir::Name);
        QCOMPARE(csvs.size(), 2);
        QVERIFY(QDir(out).entryList({"*.config.json"}).size() == 2);
        std::ifstream in((out + "/" + csvs.filter("-train.").front()).toStdString());
        std::string line;
        std::getline(in, line);
        QCOMPARE(line, std::string("run,key,step,epoch,time,value"));
        int lossRows = 0;
        while (std::getline(in, line)) {
            const auto fields = QString::fromStdString(line).split(',');
            QCOMPARE(fields.size(), 6);
            if (fields[1] != "train/loss")
                continue;
            const int step = fields[2].toInt();
            QVERIFY(step != 11); // the damaged record
            QCOMPARE(fields[4].toDouble(), 1.65e9 + step);
            QCOMPARE(fields[5].toDouble(), double(1.0f / float(step)));
            ++lossRows;
        }
        QCOMPARE(lossRows, 39);

        // A folder that cannot be made: exit 3, naming it.
        std::ofstream(dir.filePath("blocker").toStdString()) << "a file";
        auto blocked
            = cli.run({"export-metrics", "train", "--out", dir.filePath("blocker") + "/sub"});
        QCOMPARE(blocked.exitCode, 3);
        QVERIFY2(blocked.err.contains("blocker/sub: cannot create the output folder"),
                 qPrintable(blocked.err));
    }

    void importsAnMlflowStore()
    {
        QTemporaryDir dir;
        const fs::path mlruns = fs::path(dir.path().toStdString()) / "mlruns";
        writeExperiment(mlruns, "0", "Default");
        MlflowRunSpec run;
        run.experimentId = "0";
        run.runId = "0f1e2d";
        run.runName = "keras-baseline";
        run.params = {{"epochs", "5"}, {"learning_rate", "0.001"}};
        run.metrics = {{"accuracy", {"1700000001000 0.5 0", "1700000002000 0.7 1"}}};
        writeMlflowRun(mlruns, run);
        Cli cli(dir.path());
        auto imported = cli.run({"import", QString::fromStdString(mlruns.string())});
        QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
        QVERIFY2(imported.out.contains("keras-baseline  2 params, 1 series, 2 samples"),
                 qPrintable(imported.out));
        auto shown = cli.run({"show", "keras-baseline", "--json"});
        QCOMPARE(shown.exitCode, 0);
        QVERIFY2(shown.out.contains("learning_rate"), qPrintable(shown.out));
    }
};

LATHE_TEST_GUILESS_MAIN(TestCliImport)
#include "tst_cli_import.moc"
