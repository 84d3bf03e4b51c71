// lathe-cli train --nproc end to end: two real workers train one run (rank 0 stores it, with the
// dist/ metrics), the flags' usage errors, and workers started with different configs refusing
// to train together before any run is stored.
#include "tests/app/cli_runner.h"

#include "tests/core/dist/dist_test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace lathe;
using testing::Cli;

namespace {

const QString kConfig = QStringLiteral(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");

QStringList tinyTrain()
{
    return {"train",       kConfig,
            "--set",       "data.subset=400",
            "--set",       "training.epochs=1",
            "--set",       "model.widths=[8,16]",
            "--set",       "training.batch_size=64",
            "--max-steps", "5"};
}

} // namespace

class TestCliDist : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void twoWorkersTrainOneRun()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        const auto outcome = cli.run(tinyTrain() << "--nproc"
                                                 << "2"
                                                 << "--name"
                                                 << "dp");
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY2(outcome.out.contains("data parallel: ranks 0 to 1 of 2 on this node"),
                 qPrintable(outcome.out));
        const auto listed = QJsonDocument::fromJson(cli.run({"runs", "--json"}).out.toUtf8());
        QCOMPARE(listed.array().size(), 1); // one run, written by rank 0 alone
        const auto shown = QJsonDocument::fromJson(cli.run({"show", "dp", "--json"}).out.toUtf8());
        const auto metrics = shown["final_metrics"].toObject();
        for (const char *key : {"dist/step_time_max", "dist/step_time_mean", "dist/comm_seconds",
                                "dist/comm_wait_seconds", "train/loss", "test/accuracy"})
            QVERIFY2(metrics.contains(key), key);
        QCOMPARE(shown["status"].toString(), QString("stopped")); // the step limit
        // The world size and node count, recorded by rank 0 in the config and its params.
        const auto dist = shown["config"]["dist"].toObject();
        QCOMPARE(dist["world_size"].toInt(), 2);
        QCOMPARE(dist["nnodes"].toInt(), 1);
        // A single-process run has none (absent means 1): Compare's config diff shows them.
        QCOMPARE(cli.run(tinyTrain() << "--name"
                                     << "one")
                     .exitCode,
                 0);
        const auto one = QJsonDocument::fromJson(cli.run({"show", "one", "--json"}).out.toUtf8());
        QVERIFY(!one["config"].toObject().contains("dist"));
        const auto compared
            = QJsonDocument::fromJson(cli.run({"compare", "dp", "one", "--json"}).out.toUtf8());
        QMap<QString, QJsonArray> diff;
        for (const auto &row : compared["config_diff"].toArray())
            diff[row.toObject()["key"].toString()] = row.toObject()["values"].toArray();
        QCOMPARE(diff.value("dist.world_size"), (QJsonArray{"2", QJsonValue::Null}));
        QCOMPARE(diff.value("dist.nnodes"), (QJsonArray{"1", QJsonValue::Null}));
        diff.remove("training.threads"); // --nproc gives each worker its share of the cores
        QCOMPARE(diff.size(), 2);        // nothing else: the ranks' config is the single process's
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("flags");
        QTest::addColumn<QString>("message");
        QTest::newRow("no workers")
            << QStringList{"--nproc", "0"} << "--nproc needs a whole number from 1 to 64";
        QTest::newRow("nodes without a master") << QStringList{"--nproc", "2", "--nnodes", "2"}
                                                << "--nnodes above 1 needs --master-addr";
        QTest::newRow("node rank outside") << QStringList{"--nproc", "2", "--node-rank", "1"}
                                           << "--node-rank needs a whole number from 0";
        QTest::newRow("port without --nproc")
            << QStringList{"--master-port", "29500"} << "--master-port goes with --nproc";
        QTest::newRow("with --repeat")
            << QStringList{"--nproc", "2", "--repeat", "2"} << "does not go with --repeat";
    }
    void usageErrors()
    {
        QFETCH(QStringList, flags);
        QFETCH(QString, message);
        QTemporaryDir dir;
        Cli cli(dir.path());
        const auto outcome = cli.run(tinyTrain() << flags);
        QCOMPARE(outcome.exitCode, 2);
        QVERIFY2(outcome.err.contains(message), qPrintable(outcome.err));
    }

    // Two workers as a cluster's launcher would start them, one with another learning rate:
    // both refuse (exit 3, the same message) and nothing is stored.
    void differentConfigsRefuse()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        const int port = lathe::testing::freePort();
        std::vector<std::unique_ptr<QProcess>> workers;
        for (int rank = 0; rank < 2; ++rank) {
            qputenv("WORLD_SIZE", "2");
            qputenv("RANK", QByteArray::number(rank));
            qputenv("MASTER_PORT", QByteArray::number(port));
            auto args = tinyTrain();
            if (rank == 1)
                args << "--set"
                     << "optimizer.lr=0.1";
            workers.emplace_back(cli.start(args));
        }
        for (const char *name : {"WORLD_SIZE", "RANK", "MASTER_PORT"})
            qunsetenv(name);
        for (auto &worker : workers) {
            QVERIFY(worker->waitForFinished(60000));
            const auto err = worker->readAllStandardError();
            QCOMPARE(worker->exitCode(), 3);
            QVERIFY2(err.contains("rank 1 trains a different config than rank 0"), err.constData());
        }
        const auto listed = QJsonDocument::fromJson(cli.run({"runs", "--json"}).out.toUtf8());
        QCOMPARE(listed.array().size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCliDist)
#include "tst_cli_dist.moc"
