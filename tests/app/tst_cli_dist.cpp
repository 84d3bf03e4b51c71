// lathe-cli train --nproc end to end: two real workers train one run (rank 0 stores it, with the
// dist/ metrics), the flags' usage errors, and workers started with different configs refusing
// to train together before any run is stored.
#include "tests/app/cli_runner.h"

#include "tests/core/dist/dist_test_support.h"
#include "tests/test_registry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <QElapsedTimer>
#include <QFile>

#include <csignal>
#include <memory>

using namespace lathe;
using testing::Cli;
using testing::kConfig;

namespace {

QStringList distTrainArgs()
{
    return {"train",       kConfig,
            "--set",       "data.subset=400",
            "--set",       "training.epochs=1",
            "--set",       "model.widths=[8,16]",
            "--set",       "training.batch_size=64",
            "--max-steps", "5"};
}

// The child processes of `parent` (a pid), by their RANK variable.
QMap<int, qint64> workersByRank(qint64 parent)
{
    QMap<int, qint64> ranks;
    QFile children(QString("/proc/%1/task/%1/children").arg(parent));
    if (!children.open(QIODevice::ReadOnly))
        return ranks;
    for (const auto &pid : children.readAll().split(' ')) {
        if (pid.trimmed().isEmpty())
            continue;
        QFile environ(QString("/proc/%1/environ").arg(QString(pid)));
        if (!environ.open(QIODevice::ReadOnly))
            continue;
        for (const auto &variable : environ.readAll().split('\0'))
            if (variable.startsWith("RANK="))
                ranks[variable.mid(5).toInt()] = pid.toLongLong();
    }
    return ranks;
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
        const auto outcome = cli.run(distTrainArgs() << "--nproc"
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
        QCOMPARE(cli.run(distTrainArgs() << "--name"
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
        QCOMPARE(diff.size(), 2); // nothing else: the ranks' config is the single process's
    }

    // `finetune RUN CONFIG --nproc 2`: every rank resolves the stored run (its model and its
    // checkpoint, the store opened for reading on ranks other than 0), so the workers build the
    // same net (a model that differed would fail the first weight broadcast): one run, the base
    // run's child, with the base run's model, not the config's.
    void finetuneOfAStoredRun()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        QCOMPARE(cli.run(distTrainArgs() << "--name"
                                         << "base")
                     .exitCode,
                 0);
        const auto outcome = cli.run({"finetune", "base", kConfig, "--set", "data.subset=400",
                                      "--set", "training.batch_size=64", "--max-steps", "3",
                                      "--nproc", "2", "--name", "ft"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const auto base = QJsonDocument::fromJson(cli.run({"show", "base", "--json"}).out.toUtf8());
        const auto ft = QJsonDocument::fromJson(cli.run({"show", "ft", "--json"}).out.toUtf8());
        QCOMPARE(ft["parent_id"].toInt(), base["id"].toInt());
        QCOMPARE(ft["config"]["model"]["widths"].toArray(), (QJsonArray{8, 16}));
        QCOMPARE(ft["config"]["dist"]["world_size"].toInt(), 2);
        QCOMPARE(ft["config"]["finetune"]["checkpoint"].toString(), QString("last"));
        QCOMPARE(ft["status"].toString(), QString("stopped")); // the step limit
    }

    // A worker SIGKILLed mid-run: the launcher ends the others (by themselves, else SIGTERM and
    // SIGKILL after its grace), names how each ended, exits non-zero, and the run is stored as
    // interrupted (resumable). With rank 0 killed, rank 1 is frozen (SIGSTOP) so that only the
    // launcher's SIGKILL can end it.
    void killedWorkerStopsTheOthers_data()
    {
        QTest::addColumn<int>("killed");
        QTest::addColumn<bool>("freezeOther");
        QTest::newRow("rank 1 killed") << 1 << false;
        QTest::newRow("rank 0 killed, rank 1 frozen") << 0 << true;
    }
    void killedWorkerStopsTheOthers()
    {
        QFETCH(int, killed);
        QFETCH(bool, freezeOther);
        QTemporaryDir dir;
        Cli cli(dir.path());
        std::unique_ptr<QProcess> parent(cli.start(
            {"train", kConfig, "--set", "data.subset=6000", "--set", "model.widths=[8,16]", "--set",
             "training.batch_size=32", "--nproc", "2", "--name", "dp"}));
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += parent->readAllStandardOutput()).contains(" step 100/"),
                                 120000); // training has begun (the progress line)
        const auto ranks = workersByRank(parent->processId());
        QCOMPARE(ranks.size(), 2);
        const int other = 1 - killed;
        if (freezeOther)
            ::kill(pid_t(ranks[other]), SIGSTOP);
        QElapsedTimer clock;
        clock.start();
        ::kill(pid_t(ranks[killed]), SIGKILL);
        QVERIFY(parent->waitForFinished(60000));
        const double seconds = clock.elapsed() / 1000.0;
        const QString err = parent->readAllStandardError();
        QVERIFY2(parent->exitCode() != 0, qPrintable(err));
        QVERIFY2(err.contains(QString("worker %1 (process %2) was killed by signal 9 (SIGKILL)\n")
                                  .arg(killed)
                                  .arg(ranks[killed])),
                 qPrintable(err));
        if (freezeOther) {
            // SIGTERM after the 10 s grace stays pending in a stopped process; SIGKILL ends it.
            QVERIFY2(err.contains(QString("worker %1 (process %2) was killed by signal 9 "
                                          "(SIGKILL), sent by this process")
                                      .arg(other)
                                      .arg(ranks[other])),
                     qPrintable(err));
            QVERIFY2(seconds >= 19 && seconds < 40, qPrintable(QString::number(seconds)));
        } else {
            QVERIFY2(
                err.contains(
                    QString("worker %1 (process %2) exited with 4").arg(other).arg(ranks[other])),
                qPrintable(err));
            QVERIFY2(seconds < 10, qPrintable(QString::number(seconds))); // no grace needed
        }
        QVERIFY2(err.contains("it is stored as interrupted"), qPrintable(err));
        const auto shown = QJsonDocument::fromJson(cli.run({"show", "dp", "--json"}).out.toUtf8());
        QCOMPARE(shown["status"].toString(), QString("interrupted"));
    }

    // `resume --nproc N` continues a run whatever world size it trained with; the run's config
    // (and params) then record the new world, none for one process.
    void resumeWithAnotherWorldSize()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        auto outcome = cli.run(distTrainArgs() << "--nproc"
                                               << "2"
                                               << "--name"
                                               << "dp"
                                               << "--set"
                                               << "training.epochs=3"); // 6 steps an epoch
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const auto world = [&cli] {
            const auto shown
                = QJsonDocument::fromJson(cli.run({"show", "dp", "--json"}).out.toUtf8());
            return shown["config"]["dist"]["world_size"].toInt(1); // absent: one process
        };
        QCOMPARE(world(), 2);
        outcome = cli.run({"resume", "dp", "--max-steps", "7"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY2(outcome.out.contains("continuing from step 5"), qPrintable(outcome.out));
        QCOMPARE(world(), 1);
        outcome = cli.run({"resume", "dp", "--max-steps", "9", "--nproc", "2"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY2(outcome.out.contains("continuing from step 7"), qPrintable(outcome.out));
        QCOMPARE(world(), 2);
        const auto shown = QJsonDocument::fromJson(cli.run({"show", "dp", "--json"}).out.toUtf8());
        QCOMPARE(shown["status"].toString(), QString("stopped"));
    }

    // A config every worker refuses (a batch of 2 split over 2 workers) stores nothing, and the
    // launcher does not offer to resume a run that never existed.
    void refusedConfigStoresNothing()
    {
        QTemporaryDir dir;
        Cli cli(dir.path());
        const auto outcome = cli.run(distTrainArgs() << "--nproc"
                                                     << "2"
                                                     << "--set"
                                                     << "training.batch_size=2");
        QCOMPARE(outcome.exitCode, 3);
        QVERIFY2(outcome.err.contains("training.batch_size"), qPrintable(outcome.err));
        QVERIFY2(!outcome.err.contains("interrupted"), qPrintable(outcome.err));
        const auto listed = QJsonDocument::fromJson(cli.run({"runs", "--json"}).out.toUtf8());
        QCOMPARE(listed.array().size(), 0);
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
        const auto outcome = cli.run(distTrainArgs() << flags);
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
            auto args = distTrainArgs();
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

LATHE_TEST_GUILESS_MAIN(TestCliDist)
#include "tst_cli_dist.moc"
