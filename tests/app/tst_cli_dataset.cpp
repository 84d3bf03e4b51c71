// lathe-cli dataset issues end to end: K-fold training on real Fashion-MNIST stores its K runs as
// one repeat group (finished, tagged, with test metrics on their held-out fold), --no-store
// stores none, Ctrl-C deletes the fold runs already stored, and bad input (one class, a class
// without samples, fewer samples than folds, --folds 1, --config with --run) exits 3 with a
// message naming it and leaves no run row behind.
#include "tests/app/cli_runner.h"
#include "tests/test_registry.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <memory>

using namespace lathe;
using testing::Cli;

class TestCliDataset : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    Cli m_cli{m_dir.path()};

    QJsonArray runs()
    {
        const auto listed = m_cli.run({"runs", "--json"});
        return listed.json().array();
    }

    /// A config file: fashion-cnn.json's data cut to `subset` images (of `classes` when set),
    /// a small CNN trained for `epochs`; `data` replaces the data section when given.
    QString config(const QString &name, int subset, const QJsonArray &classes = {}, int epochs = 1,
                   const QJsonObject &data = {})
    {
        QFile base(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");
        if (!base.open(QIODevice::ReadOnly))
            qFatal("cannot read fashion-cnn.json");
        QJsonObject root = QJsonDocument::fromJson(base.readAll()).object();
        QJsonObject d = data.isEmpty() ? root["data"].toObject() : data;
        if (subset > 0)
            d["subset"] = subset;
        d["val_fraction"] = 0.0;
        if (!classes.isEmpty())
            d["classes"] = classes;
        root["data"] = d;
        QJsonObject model = root["model"].toObject();
        model["widths"] = QJsonArray{8, 16};
        root["model"] = model;
        QJsonObject training = root["training"].toObject();
        training["epochs"] = epochs;
        training["batch_size"] = 64;
        root["training"] = training;
        root["name"] = name;
        const QString path = m_dir.filePath(name + ".json");
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(path));
        out.write(QJsonDocument(root).toJson());
        return path;
    }

    /// An "idx" dataset's data section: 12 images, image i labelled `labelOf(i)`; its classes
    /// are "0".."max label".
    QJsonObject idx(const QString &name, int (*labelOf)(int))
    {
        const auto write = [](const QString &path, QByteArray bytes) {
            QFile file(path);
            if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
                qFatal("cannot write %s", qPrintable(path));
        };
        const auto be32 = [](quint32 v) {
            QByteArray bytes(4, '\0');
            for (int i = 0; i < 4; ++i)
                bytes[i] = char(v >> (24 - 8 * i));
            return bytes;
        };
        constexpr int n = 12;
        QByteArray images = be32(0x803) + be32(n) + be32(28) + be32(28);
        QByteArray labels = be32(0x801) + be32(n);
        for (int i = 0; i < n; ++i) {
            images += QByteArray(28 * 28, char(i * 20));
            labels += char(labelOf(i));
        }
        write(m_dir.filePath(name + "-images.idx"), images);
        write(m_dir.filePath(name + "-labels.idx"), labels);
        return {{"dataset", "idx"},
                {"path", m_dir.filePath(name + "-images.idx")},
                {"options", QJsonObject{{"labels", m_dir.filePath(name + "-labels.idx")}}}};
    }

private Q_SLOTS:
    // 3 folds: 3 finished runs, "cv-fold1..3", one repeat group named in the output and the
    // JSON, each with a test accuracy (its held-out fold's).
    void storesTheFoldsAsOneGroup()
    {
        const auto outcome = m_cli.run(
            {"dataset", "issues", "--config", config("cv", 600), "--folds", "3", "--json"}, 300000);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const auto doc = outcome.json().object();
        const QString group = doc["group"].toString();
        QVERIFY2(group.startsWith("cv-3fold-"), qPrintable(outcome.out.left(400)));
        QCOMPARE(doc["runs"].toArray().size(), 3);
        QCOMPARE(doc["samples"].toInt(), 600);

        const auto listed = runs();
        QCOMPARE(listed.size(), 3);
        for (const auto &value : listed) {
            const auto run = value.toObject();
            QVERIFY(run["name"].toString().startsWith("cv-fold"));
            QCOMPARE(run["status"].toString(), QString("finished"));
            const auto tags = run["tags"].toArray();
            QVERIFY2(tags.contains(QJsonValue("repeat:" + group)) && tags.contains("kfold"),
                     qPrintable(QJsonDocument(tags).toJson()));
        }
        // The group as compare shows it: one group of 3 runs.
        const auto compared = m_cli.run({"compare", "--group-by", "repeat", "--json"});
        QVERIFY2(compared.exitCode == 0, qPrintable(compared.err));
        QVERIFY2(compared.out.contains(group), qPrintable(compared.out.left(600)));
        const auto shown = m_cli.run({"show", "cv-fold2", "--json"}).json().object();
        const double accuracy = shown["final_metrics"]["test/accuracy"].toDouble(-1);
        QVERIFY2(accuracy > 0.2 && accuracy <= 1.0, qPrintable(QString::number(accuracy)));
    }

    void noStoreStoresNothing()
    {
        const int before = runs().size();
        const auto outcome = m_cli.run(
            {"dataset", "issues", "--config", config("mem", 300), "--folds", "2", "--no-store"},
            300000);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY2(outcome.out.contains("suspected label issues"), qPrintable(outcome.out));
        QVERIFY(!outcome.out.contains("repeat group"));
        QCOMPARE(runs().size(), before);
    }

    // SIGINT once the first fold's run exists: the command stops and deletes the runs it
    // stored, leaving the store as it was.
    void ctrlCLeavesNoHalfGroup()
    {
        const int before = runs().size();
        std::unique_ptr<QProcess> process(m_cli.start(
            {"dataset", "issues", "--config", config("stopped", 12000, {}, 4), "--folds", "4"}));
        QVERIFY(process->waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(m_cli.storedRuns() == before + 1, 120000);
        ::kill(pid_t(process->processId()), SIGINT);
        QVERIFY(process->waitForFinished(120000));
        QCOMPARE(process->exitCode(), 3);
        QVERIFY2(process->readAllStandardError().contains("cancelled"), "no cancel message");
        QCOMPARE(runs().size(), before);
        QCOMPARE(m_cli.storedRuns(), before);
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        // Every label 0: one class. (data.classes = [3] is refused earlier, by the config.)
        QTest::newRow("one class")
            << QStringList{"--config", config("one", 0, {}, 1, idx("one", [](int) { return 0; }))}
            << "has 1 class";
        QTest::newRow("one class selected")
            << QStringList{"--config", config("three", 200, {3})} << "at least two classes";
        QTest::newRow("a class without samples") << QStringList{
            "--config",
            config("empty", 0, {}, 1, idx("empty", [](int i) { return i % 2 ? 2 : 0; })), "--folds",
            "2"} << "class 1 (\"1\") has no samples";
        QTest::newRow("fewer samples than folds")
            << QStringList{"--config", config("few", 30), "--folds", "5"}
            << "fewer than the 5 folds";
        QTest::newRow("folds 1") << QStringList{"--config", config("f1", 200), "--folds", "1"}
                                 << "--folds";
        QTest::newRow("config and run")
            << QStringList{"--config", config("both", 200), "--run", "1"} << "not both";
        QTest::newRow("unknown run") << QStringList{"--run", "nosuchrun"} << "nosuchrun";
    }
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const int before = runs().size();
        const auto outcome = m_cli.run(QStringList{"dataset", "issues"} + args);
        QCOMPARE(outcome.exitCode, 3);
        QVERIFY2(outcome.err.contains(message), qPrintable(outcome.err));
        QCOMPARE(runs().size(), before); // no run row left behind
    }
};

LATHE_TEST_GUILESS_MAIN(TestCliDataset)
#include "tst_cli_dataset.moc"
