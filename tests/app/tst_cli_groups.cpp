// lathe-cli train --repeat, compare --group-by and compare --stats end to end: real training on a
// Fashion-MNIST subset into a real store, groups and their statistics as a user reads them.
#include "core/stats/comparison.h"
#include "tests/app/cli_runner.h"
#include "tests/test_registry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <vector>

using namespace lathe;
using testing::Cli;
using testing::kConfig;

namespace {

// A tiny variant of the default experiment, repeated.
QStringList tinyRepeat(const QString &name, int repeats, const QString &smoothing)
{
    return {"train",    kConfig,
            "--name",   name,
            "--repeat", QString::number(repeats),
            "--set",    "data.subset=300",
            "--set",    "training.epochs=1",
            "--set",    "model.widths=[8,16]",
            "--set",    "training.batch_size=64",
            "--set",    "training.label_smoothing=" + smoothing};
}

} // namespace

class TestCliGroups : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    Cli m_cli{m_dir.path()};
    // Test accuracy per run id, from `show --json`.
    std::map<int, double> m_test;

    std::vector<double> testAccuracies(const QJsonArray &ids)
    {
        std::vector<double> values;
        for (const auto id : ids)
            values.push_back(m_test.at(id.toInt()));
        return values;
    }

private Q_SLOTS:
    // Two repeat groups of three runs: label smoothing 0.1 (the default), one run after the
    // other in lathe-cli's process, and off, two at a time in child processes.
    void initTestCase()
    {
        for (const auto &[name, smoothing, workers] :
             {std::tuple{"smooth", "0.1", "1"}, std::tuple{"plain", "0", "2"}}) {
            const auto outcome
                = m_cli.run(tinyRepeat(name, 3, smoothing) << "--workers" << workers, 300000);
            QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
            QVERIFY2(outcome.out.contains("3 of 3 runs finished"), qPrintable(outcome.out));
        }
        const auto listed = m_cli.run({"runs", "--json"});
        QCOMPARE(listed.exitCode, 0);
        for (const auto run : listed.json().array()) {
            const int id = run.toObject()["id"].toInt();
            const auto shown = m_cli.run({"show", QString::number(id), "--json"});
            m_test[id] = shown.json()["final_metrics"]["test/accuracy"].toDouble();
        }
        QCOMPARE(m_test.size(), std::size_t(6));
    }

    // Each run of a repeat is named <name>-r<i>, has seed 42 + i - 1 and the group's one tag.
    void aRepeatIsOneGroupWithSuccessiveSeeds()
    {
        const auto listed = m_cli.run({"runs", "--json", "--filter", "smooth"});
        const auto runs = listed.json().array();
        QCOMPARE(runs.size(), 3);
        std::map<QString, int> seeds;
        QString tag;
        for (const auto value : runs) {
            const auto run = value.toObject();
            seeds[run["name"].toString()] = run["seed"].toInt();
            const auto tags = run["tags"].toArray();
            QCOMPARE(tags.size(), 1);
            QVERIFY(tags[0].toString().startsWith("repeat:smooth-"));
            QVERIFY(tag.isEmpty() || tag == tags[0].toString());
            tag = tags[0].toString();
        }
        QCOMPARE(seeds,
                 (std::map<QString, int>{{"smooth-r1", 42}, {"smooth-r2", 43}, {"smooth-r3", 44}}));
    }

    // --workers 2: the same group, made by child processes, at most two at a time.
    void aRepeatWithWorkersRunsInParallel()
    {
        const auto runs = m_cli.run({"runs", "--json", "--filter", "plain"}).json().array();
        QCOMPARE(runs.size(), 3);
        std::map<QString, QJsonObject> byName;
        for (const auto value : runs) {
            const auto run = value.toObject();
            byName[run["name"].toString()] = run;
            QCOMPARE(run["status"].toString(), QString("finished"));
            const auto tags = run["tags"].toArray();
            QCOMPARE(tags.size(), 1);
            QCOMPARE(tags[0].toString(), byName.begin()->second["tags"].toArray()[0].toString());
            QVERIFY(tags[0].toString().startsWith("repeat:plain-"));
        }
        QCOMPARE(byName["plain-r1"]["seed"].toInt(), 42);
        QCOMPARE(byName["plain-r2"]["seed"].toInt(), 43);
        QCOMPARE(byName["plain-r3"]["seed"].toInt(), 44);
        // Two at a time: the third run was made only after one of the first two had ended. (That
        // the first two overlapped is likely but not certain on a loaded machine: a tiny run can
        // end before its sibling's process has loaded the data.)
        const auto &r1 = byName["plain-r1"], &r2 = byName["plain-r2"];
        QVERIFY(byName["plain-r3"]["created_at"].toDouble()
                >= std::min(r1["ended_at"].toDouble(), r2["ended_at"].toDouble()));
        const auto bad = m_cli.run({"train", kConfig, "--workers", "2"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("goes with --repeat"), qPrintable(bad.err));
    }

    // Grouped by repeat or by the config key, each group's statistics are its runs'.
    void groupsSummariseTheirRuns()
    {
        for (const char *key : {"repeat", "training.label_smoothing"}) {
            const auto outcome = m_cli.run({"compare", "--group-by", key, "--json"});
            QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
            const auto groups = outcome.json()["groups"].toArray();
            QCOMPARE(groups.size(), 2);
            for (const auto value : groups) {
                const auto group = value.toObject();
                QCOMPARE(group["count"].toInt(), 3);
                const auto summary = stats::summarize(testAccuracies(group["runs"].toArray()));
                const auto test = group["metrics"].toObject()["test/accuracy"].toObject();
                QCOMPARE(test["count"].toInt(), 3);
                QVERIFY(std::abs(test["mean"].toDouble() - summary.mean) < 1e-12);
                QVERIFY(std::abs(test["std"].toDouble() - summary.stddev) < 1e-12);
                QCOMPARE(test["min"].toDouble(), summary.min);
                QCOMPARE(test["max"].toDouble(), summary.max);
                QVERIFY(group["metrics"].toObject().contains("best val/accuracy"));
            }
        }
        const auto table = m_cli.run({"compare", "--group-by", "training.label_smoothing"});
        QCOMPARE(table.exitCode, 0);
        QVERIFY2(table.out.startsWith("training.label_smoothing") && table.out.contains(" ± "),
                 qPrintable(table.out));
        // Two keys, and a subset of runs named.
        const auto two = m_cli.run({"compare", "1", "2", "4", "--group-by", "optimizer.name",
                                    "--group-by", "repeat", "--json"});
        QCOMPARE(two.exitCode, 0);
        const auto groups = two.json()["groups"].toArray();
        QCOMPARE(groups.size(), 2);
        QCOMPARE(groups[0].toObject()["values"].toObject()["optimizer.name"].toString(), "adamw");
    }

    // A run stands for its repeat group; the verdict is Welch's and the permutation test's on
    // the groups' test accuracies, and the config keys that differ are named (not the seed).
    void statsCompareTwoGroups()
    {
        const auto outcome = m_cli.run({"compare", "plain-r2", "smooth-r1", "--stats", "--json"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const auto result = outcome.json().object();
        QCOMPARE(result["metric"].toString(), "test/accuracy");
        const auto a = testAccuracies(result["a"].toObject()["runs"].toArray());
        const auto b = testAccuracies(result["b"].toObject()["runs"].toArray());
        QCOMPARE(a.size(), std::size_t(3));
        QCOMPARE(b.size(), std::size_t(3));
        QVERIFY(result["a"].toObject()["label"].toString().startsWith("repeat=plain-"));
        const auto welch = stats::welchTest(a, b);
        QVERIFY(welch);
        QVERIFY(std::abs(result["welch"].toObject()["p"].toDouble() - welch->pValue) < 1e-12);
        QCOMPARE(result["permutation"].toObject()["permutations"].toInt(), 20);
        QCOMPARE(result["verdict"].toString().toStdString(),
                 stats::verdict(a, b,
                                {result["a"].toObject()["label"].toString().toStdString(),
                                 result["b"].toObject()["label"].toString().toStdString(),
                                 "test/accuracy", true, 100, "points"}));
        const auto diff = result["config_diff"].toArray();
        QStringList keys;
        for (const auto d : diff)
            keys << d.toObject()["key"].toString();
        QVERIFY2(keys.contains("training.label_smoothing") && !keys.contains("training.seed"),
                 qPrintable(keys.join(',')));

        // The same sides by config value, as text.
        const auto text = m_cli.run(
            {"compare", "training.label_smoothing=0.0", "training.label_smoothing=0.1", "--stats"});
        QVERIFY2(text.exitCode == 0, qPrintable(text.err));
        QVERIFY2(text.out.contains("3 vs 3 runs") && text.out.contains("(Welch)")
                     && text.out.contains("config keys that differ:"),
                 qPrintable(text.out));
    }

    // One run against a group: no conclusion, and Repeat is offered.
    void aSingleRunOffersRepeat()
    {
        const auto single
            = m_cli.run({"train", kConfig, "--name", "single", "--set", "data.subset=300", "--set",
                         "training.epochs=1", "--set", "model.widths=[8,16]"});
        QVERIFY2(single.exitCode == 0, qPrintable(single.err));
        const auto outcome = m_cli.run({"compare", "single", "smooth-r2", "--stats"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY2(outcome.out.contains("1 vs 3 runs: no conclusion is possible")
                     && outcome.out.contains("--repeat 5"),
                 qPrintable(outcome.out));
    }

    void badUsageIsRefused()
    {
        for (const QStringList &args :
             {QStringList{"compare", "1", "--stats"},
              QStringList{"compare", "1", "2", "--group-by", "x", "--stats"},
              QStringList{"compare", "1"}, QStringList{"compare", "1", "2", "--metric", "val/loss"},
              QStringList{"train", kConfig, "--repeat", "0"}}) {
            const auto outcome = m_cli.run(args);
            QVERIFY2(outcome.exitCode == 2, qPrintable(args.join(' ') + ": " + outcome.err));
        }
        const auto missing = m_cli.run({"compare", "optimizer.name=nosuch", "1", "--stats"});
        QCOMPARE(missing.exitCode, 3);
        QVERIFY2(missing.err.contains("no run has optimizer.name=nosuch"), qPrintable(missing.err));
    }
};

LATHE_TEST_GUILESS_MAIN(TestCliGroups)
#include "tst_cli_groups.moc"
