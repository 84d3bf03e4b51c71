// What every run records of where it ran, through lathe-cli as a user sees it: `show` and
// `show --json`, `compare` saying "same config, different CPU" (and `compare A B --stats` of two
// groups), `info`, `--version`.
#include "core/track/run_store.h"
#include "core/train/run_environment.h"
#include "core/util/environment.h"
#include "tests/app/cli_runner.h"
#include "tests/test_registry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace lathe;
using testing::Cli;

namespace {

const QString kTrainLabelsSha
    = QStringLiteral("0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056");

QStringList environmentTrain(const QString &name)
{
    return {"train",       LATHE_TEST_RESOURCES "/configs/fashion-cnn.json",
            "--set",       "data.subset=256",
            "--set",       "training.epochs=1",
            "--set",       "model.widths=[8,16]",
            "--set",       "training.batch_size=64",
            "--max-steps", "2",
            "--name",      name};
}

} // namespace

class TestCliEnvironment : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_cli = std::make_unique<Cli>(m_dir.path());
        const auto trained = m_cli->run(environmentTrain("here"));
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
    }

    void showJsonHasTheEnvironment()
    {
        const auto shown = m_cli->run({"show", "here", "--json"});
        QCOMPARE(shown.exitCode, 0);
        const auto show = QJsonDocument::fromJson(shown.out.toUtf8()).object();
        const auto env = show["environment"].toObject();
        QCOMPARE(env["cpu"].toObject()["model"].toString().toStdString(),
                 util::readCpuInfo().model);
        QCOMPARE(env["host"].toString().toStdString(), util::machineEnvironment().host);
        QVERIFY(!env["torch"].toObject()["version"].toString().isEmpty());
        QCOMPARE(env["threads"].toInt(), 2); // LATHE_THREADS=2 in the tests' environment
        const auto data = env["data"].toArray();
        QCOMPARE(data.size(), 4);
        QCOMPARE(data[3].toObject()["sha256"].toString(), kTrainLabelsSha);
        QVERIFY(show["environment_history"].toArray().isEmpty());
    }

    void showPrintsIt()
    {
        const auto shown = m_cli->run({"show", "here"});
        QCOMPARE(shown.exitCode, 0);
        QVERIFY2(shown.out.contains("\nenvironment:\n"), qPrintable(shown.out));
        QVERIFY(shown.out.contains(QStringLiteral("  CPU             %1")
                                       .arg(QString::fromStdString(util::readCpuInfo().model))));
        QVERIFY(shown.out.contains("  LibTorch        "));
        QVERIFY(shown.out.contains(kTrainLabelsSha));
    }

    // Two runs of one config, one recorded on another CPU: compare says so beside the config.
    void compareFlagsADifferentCpu()
    {
        {
            auto store = track::RunStore::open(m_cli->db().toStdString());
            QVERIFY(store.has_value());
            auto first = (*store)->findRun("here");
            QVERIFY(first.has_value());
            track::NewRun copy{"there", first->configJson, first->seed, {}, first->torchVersion};
            auto id = (*store)->createRun(copy);
            QVERIFY(id.has_value());
            auto env = train::latestEnvironment(**store, first->id);
            QVERIFY(env.has_value() && env->has_value());
            auto elsewhere = **env;
            elsewhere.cpu.model = "Intel(R) Xeon(R) Platinum 8480+";
            QVERIFY(train::recordEnvironment(**store, *id, 0, elsewhere).has_value());
        }
        const auto text = m_cli->run({"compare", "here", "there"});
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains("(same config, different CPU)"), qPrintable(text.out));
        QVERIFY2(text.out.contains("env: CPU"), qPrintable(text.out));
        QVERIFY(!text.out.contains("(identical configs)"));
        const auto json = QJsonDocument::fromJson(
                              m_cli->run({"compare", "here", "there", "--json"}).out.toUtf8())
                              .object();
        const auto diff = json["environment_diff"].toObject();
        QCOMPARE(diff["summary"].toString(), QString("same config, different CPU"));
        QCOMPARE(diff["recorded"].toInt(), 2);
        const auto rows = diff["rows"].toArray();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].toObject()["values"].toArray()[1].toString(),
                 QString("Intel(R) Xeon(R) Platinum 8480+"));
    }

    // A resume on another machine: the history names the earlier attempt and what differed.
    void anAttemptElsewhereIsNamed()
    {
        {
            auto store = track::RunStore::open(m_cli->db().toStdString());
            QVERIFY(store.has_value());
            auto run = (*store)->findRun("there");
            auto latest = train::latestEnvironment(**store, run->id);
            auto now = **latest;
            now.cpu.model = util::readCpuInfo().model;
            now.host = "another-host";
            QVERIFY(train::recordEnvironment(**store, run->id, 5, now).has_value());
        }
        const auto shown = m_cli->run({"show", "there"});
        QVERIFY2(shown.out.contains("the attempt from step 0 ran elsewhere: different CPU, host"),
                 qPrintable(shown.out));
        const auto show
            = QJsonDocument::fromJson(m_cli->run({"show", "there", "--json"}).out.toUtf8())
                  .object();
        const auto history = show["environment_history"].toArray();
        QCOMPARE(history.size(), 1);
        QCOMPARE(history[0].toObject()["step"].toInt(), 0);
    }

    void infoPrintsTheEnvironment()
    {
        const auto info = m_cli->run({"info"});
        QCOMPARE(info.exitCode, 0);
        QVERIFY2(info.out.contains("environment (recorded with every run):"), qPrintable(info.out));
        QVERIFY(info.out.contains(QStringLiteral("  CPU             %1")
                                      .arg(QString::fromStdString(util::readCpuInfo().model))));
        const auto version = m_cli->run({"--version"});
        QVERIFY(version.out.startsWith("lathe-cli "));
        QCOMPARE(version.out.count('\n'), 1); // one line: scripts cut its second word
    }

    // Two groups of one config, one of them recorded on another CPU: `compare A B --stats`
    // names it under the verdict, and --json has each side's values.
    void compareStatsNamesWhereTheGroupsRan()
    {
        const std::string elsewhere = "Test CPU 9000 (another machine)";
        std::string here;
        {
            auto store = track::RunStore::open(m_cli->db().toStdString());
            QVERIFY(store.has_value());
            auto first = (*store)->findRun("here");
            QVERIFY(first.has_value());
            auto env = train::latestEnvironment(**store, first->id);
            QVERIFY(env.has_value() && env->has_value());
            here = (*env)->cpu.model;
            for (int i = 0; i < 4; ++i) {
                const bool near = i < 2;
                track::NewRun copy{(near ? "near-" : "far-") + std::to_string(i),
                                   first->configJson,
                                   std::uint64_t(i),
                                   {},
                                   first->torchVersion};
                auto id = (*store)->createRun(copy);
                QVERIFY(id.has_value());
                auto recorded = **env;
                if (!near)
                    recorded.cpu.model = elsewhere;
                QVERIFY(train::recordEnvironment(**store, *id, 0, recorded).has_value());
                const std::vector<track::MetricPoint> points{
                    {*id, "test/accuracy", 1, 1, 0, 0.5 + 0.01 * i}};
                QVERIFY((*store)->addMetrics(points).has_value());
                QVERIFY((*store)->addTag(*id, near ? "repeat:near" : "repeat:far").has_value());
            }
        }
        const auto text = m_cli->run({"compare", "repeat=near", "repeat=far", "--stats"});
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains("\nsame config, the groups ran on different CPU:\n"),
                 qPrintable(text.out));
        QVERIFY2(text.out.contains(QString::fromStdString(here + "  vs  " + elsewhere)),
                 qPrintable(text.out));
        const auto outcome
            = m_cli->run({"compare", "repeat=near", "repeat=far", "--stats", "--json"});
        QCOMPARE(outcome.exitCode, 0);
        const auto diff
            = QJsonDocument::fromJson(outcome.out.toUtf8()).object()["environment_diff"].toObject();
        QCOMPARE(diff["summary"].toString(),
                 QString("same config, the groups ran on different CPU"));
        QCOMPARE(diff["recorded"].toArray(), (QJsonArray{2, 2}));
        const auto rows = diff["rows"].toArray();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].toObject()["b"].toArray(), QJsonArray{QString::fromStdString(elsewhere)});
        // Two runs of one group, compared alone: the same CPU on both sides says nothing.
        const auto same = m_cli->run({"compare", "near-0", "near-1", "--stats"});
        QCOMPARE(same.exitCode, 0);
        QVERIFY2(!same.out.contains("ran on different"), qPrintable(same.out));
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Cli> m_cli;
};

LATHE_TEST_GUILESS_MAIN(TestCliEnvironment)
#include "tst_cli_environment.moc"
