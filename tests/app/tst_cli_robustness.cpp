// lathe-cli robustness end to end, and lathe-cli train with an "adversarial" section: a real
// tiny run in a real store, the table and JSON a user reads, the stored robustness event, the
// robust accuracy curve, and bad flags (exit 2) and bad values (exit 3, nothing stored).
#include "tests/app/cli_runner.h"
#include "tests/test_registry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace lathe;
using testing::Cli;
using testing::kConfig;

namespace {

QStringList robustTrainArgs(const QString &name)
{
    return {"train",  kConfig,
            "--name", name,
            "--set",  "data.subset=600",
            "--set",  "training.epochs=1",
            "--set",  "model.widths=[8,16]",
            "--set",  "training.batch_size=64"};
}

} // namespace

class TestCliRobustness : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    Cli m_cli{m_dir.path()};

private Q_SLOTS:
    void initTestCase()
    {
        const auto outcome = m_cli.run(robustTrainArgs("plain"), 300000);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
    }

    void printsATableAndStoresIt()
    {
        const auto outcome = m_cli.run(
            {"robustness", "plain", "--eps", "0.05,0.2", "--steps", "5", "--limit", "100"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY2(outcome.out.contains("pgd-5"), qPrintable(outcome.out));
        QVERIFY2(outcome.out.contains("(clean)"), qPrintable(outcome.out));
        QVERIFY2(outcome.err.contains("robustness: 300/300 samples attacked"),
                 qPrintable(outcome.err));
        const auto shown = m_cli.run({"show", "plain", "--json"});
        QVERIFY2(shown.out.contains("robustness"), qPrintable(shown.out));
    }

    void jsonHasOnePointPerEpsilonFalling()
    {
        const auto outcome = m_cli.run({"robustness", "plain", "--eps", "0.1,0.02", "--attack",
                                        "fgsm", "--limit", "200", "--json"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const auto doc = outcome.json().object();
        QCOMPARE(doc["attack"].toString(), QString("fgsm"));
        QCOMPARE(doc["samples"].toInt(), 200);
        const auto points = doc["points"].toArray();
        QCOMPARE(points.size(), 3); // 0 (clean), 0.02, 0.1 ascending
        QCOMPARE(points[0].toObject()["epsilon"].toDouble(), 0.0);
        QCOMPARE(points[2].toObject()["epsilon"].toDouble(), 0.1);
        QVERIFY(points[2].toObject()["accuracy"].toDouble()
                < points[0].toObject()["accuracy"].toDouble());
    }

    void badFlagsAndValues_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("no run") << QStringList{"robustness"} << 2 << "usage";
        QTest::newRow("unknown flag")
            << QStringList{"robustness", "plain", "--epsilon", "0.1"} << 2 << "usage";
        QTest::newRow("negative eps")
            << QStringList{"robustness", "plain", "--eps", "-0.1"} << 3 << "--eps";
        QTest::newRow("eps not a number")
            << QStringList{"robustness", "plain", "--eps", "0.1,big"} << 3 << "\"big\"";
        QTest::newRow("steps 0") << QStringList{"robustness", "plain", "--steps", "0"} << 3
                                 << "at least 1 step";
        QTest::newRow("restarts 0")
            << QStringList{"robustness", "plain", "--restarts", "0"} << 3 << "--restarts";
        QTest::newRow("unknown attack")
            << QStringList{"robustness", "plain", "--attack", "cw"} << 3 << "fgsm, pgd";
        QTest::newRow("unknown run") << QStringList{"robustness", "nosuchrun"} << 3 << "nosuchrun";
        QTest::newRow("train pgd steps 0") << (robustTrainArgs("bad") << "--set"
                                                                      << "adversarial.enabled=true"
                                                                      << "--set"
                                                                      << "adversarial.steps=0")
                                           << 3 << "adversarial.steps";
        QTest::newRow("train negative epsilon")
            << (robustTrainArgs("bad") << "--set"
                                       << "adversarial.enabled=true"
                                       << "--set"
                                       << "adversarial.epsilon=-0.1")
            << 3 << "adversarial.epsilon";
        QTest::newRow("train ratio above 1")
            << (robustTrainArgs("bad") << "--set"
                                       << "adversarial.mix_ratio=1.5")
            << 3 << "adversarial.mix_ratio";
        QTest::newRow("eps above 1")
            << QStringList{"robustness", "plain", "--eps", "0.1,1.5"} << 3 << "in [0, 1]";
        QTest::newRow("negative limit")
            << QStringList{"robustness", "plain", "--limit", "-5"} << 3 << "--limit";
        QTest::newRow("step size 0")
            << QStringList{"robustness", "plain", "--step-size", "0"} << 3 << "--step-size";
        QTest::newRow("unknown checkpoint")
            << QStringList{"robustness", "plain", "--checkpoint", "epoch-99"} << 3 << "epoch-99";
        const auto adversarial = [](QStringList more) {
            QStringList args = robustTrainArgs("bad") << "--set"
                                                      << "adversarial.enabled=true";
            for (const auto &m : more)
                args << "--set" << m;
            return args;
        };
        QTest::newRow("train eval steps 0")
            << adversarial({"adversarial.eval_steps=0"}) << 3 << "adversarial.eval_steps";
        QTest::newRow("train ratio 0 when on")
            << adversarial({"adversarial.mix_ratio=0"}) << 3 << "adversarial.mix_ratio";
        QTest::newRow("train unknown attack")
            << adversarial({"adversarial.attack=cw"}) << 3 << "adversarial.attack";
        QTest::newRow("train unknown key")
            << adversarial({"adversarial.epsilom=0.1"}) << 3 << "epsilon";
        QTest::newRow("train with privacy")
            << adversarial({"privacy.enabled=true", "privacy.noise_multiplier=1"}) << 3
            << "cannot be combined";
        // The privacy section's refusals, at the command line too: exit 3 and no run row.
        QTest::newRow("train privacy negative noise")
            << (robustTrainArgs("bad") << "--set"
                                       << "privacy.enabled=true"
                                       << "--set"
                                       << "privacy.noise_multiplier=-1")
            << 3 << "privacy.noise_multiplier";
        QTest::newRow("train privacy without noise")
            << (robustTrainArgs("bad") << "--set"
                                       << "privacy.enabled=true")
            << 3 << "without noise";
        QTest::newRow("train privacy delta 1")
            << (robustTrainArgs("bad") << "--set"
                                       << "privacy.enabled=true"
                                       << "--set"
                                       << "privacy.noise_multiplier=1"
                                       << "--set"
                                       << "privacy.delta=1")
            << 3 << "privacy.delta";
    }
    void badFlagsAndValues()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const int before = m_cli.storedRuns();
        const auto outcome = m_cli.run(args);
        QCOMPARE(outcome.exitCode, exitCode);
        QVERIFY2(outcome.err.contains(message), qPrintable(outcome.err));
        QCOMPARE(m_cli.storedRuns(), before); // no run row left behind
    }

    void adversarialTrainingRecordsARobustCurve()
    {
        const auto outcome
            = m_cli.run(robustTrainArgs("adversarial") << "--set"
                                                       << "adversarial.enabled=true"
                                                       << "--set"
                                                       << "adversarial.steps=2"
                                                       << "--set"
                                                       << "adversarial.eval_samples=50",
                        300000);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const auto shown = m_cli.run({"show", "adversarial", "--json"}).json().object();
        const double robust = shown["final_metrics"]["val/robust_accuracy"].toDouble(-1);
        QVERIFY2(robust >= 0.0 && robust <= 1.0, qPrintable(QString::number(robust)));
        QCOMPARE(shown["config"]["adversarial"]["steps"].toInt(), 2);
    }
};

LATHE_TEST_GUILESS_MAIN(TestCliRobustness)
#include "tst_cli_robustness.moc"
