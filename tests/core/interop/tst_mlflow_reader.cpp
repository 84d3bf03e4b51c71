#include "core/interop/mlflow_reader.h"

#include "mlflow_store_writer.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace lathe::interop;
using namespace lathe::testing;
namespace fs = std::filesystem;

class TestMlflowReader : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    fs::path mlruns() const { return fs::path(m_dir.path().toStdString()) / "mlruns"; }

private Q_SLOTS:
    void initTestCase()
    {
        writeExperiment(mlruns(), "1", "fashion");
        MlflowRunSpec a;
        a.runId = "aaa111";
        a.runName = "bright-fox-7";
        a.params = {{"lr", "0.01"}, {"optimizer", "adam"}, {"model/depth", "4"}};
        a.tags = {{"mlflow.runName", "bright-fox-7"},
                  {"mlflow.source.git.commit", "abc123"},
                  {"team", "vision"}};
        a.metrics
            = {{"loss", {"1700000001000 2.5 0", "1700000002000 1.5 1", "1700000003000 nan 2"}},
               {"val/acc", {"1700000004000 0.75 1", "garbage line", "1700000005000 0.8 2"}}};
        writeMlflowRun(mlruns(), a);
        MlflowRunSpec b;
        b.runId = "bbb222";
        b.runName = "";
        b.status = 4; // FAILED
        b.params = {{"lr", "0.1"}, {"optimizer", "adam"}};
        writeMlflowRun(mlruns(), b);
        MlflowRunSpec gone;
        gone.runId = "ccc333";
        gone.runName = "deleted-one";
        gone.lifecycle = "deleted";
        writeMlflowRun(mlruns(), gone);
        MlflowRunSpec trash = a;
        trash.runId = "ddd444";
        writeMlflowRun(mlruns() / ".trash", trash);
    }

    // mlruns, an experiment's folder and a run's folder all find the live runs; deleted runs
    // and .trash are left out.
    void findsRuns_data()
    {
        QTest::addColumn<QString>("under");
        QTest::addColumn<int>("count");
        QTest::newRow("mlruns") << "" << 2;
        QTest::newRow("experiment") << "1" << 2;
        QTest::newRow("run") << "1/aaa111" << 1;
    }
    void findsRuns()
    {
        QFETCH(QString, under);
        QFETCH(int, count);
        auto runs = findMlflowRuns(mlruns() / under.toStdString());
        QVERIFY2(runs, runs ? "" : runs.error().toString().c_str());
        QCOMPARE(int(runs->size()), count);
        QCOMPARE(runs->front().identity, std::string("import:mlflow:aaa111"));
        QCOMPARE(runs->front().name, std::string("bright-fox-7"));
    }

    void readsParamsMetricsTags()
    {
        auto runs = findMlflowRuns(mlruns());
        QVERIFY(runs);
        auto run = readMlflowRun(runs->front());
        QVERIFY(run);
        QCOMPARE(run->name, std::string("bright-fox-7"));
        QCOMPARE(run->params, (std::vector<std::pair<std::string, std::string>>{
                                  {"lr", "0.01"}, {"model/depth", "4"}, {"optimizer", "adam"}}));
        QVERIFY(run->status == lathe::track::RunStatus::Finished);
        QCOMPARE(run->startedAt, 1700000000.0);
        QCOMPARE(run->endedAt, 1700000600.0);
        QVERIFY(std::find(run->tags.begin(), run->tags.end(), "team:vision") != run->tags.end());
        QVERIFY(std::find(run->tags.begin(), run->tags.end(), "experiment:fashion")
                != run->tags.end());
        QCOMPARE(run->series.size(), std::size_t(2));
        const auto &loss = run->series[0];
        QCOMPARE(loss.key, std::string("loss"));
        QCOMPARE(loss.samples.size(), std::size_t(3));
        QCOMPARE(loss.samples[1].step, 1);
        QCOMPARE(loss.samples[1].value, 1.5);
        QCOMPARE(loss.samples[1].wallTime, 1700000002.0);
        QVERIFY(std::isnan(loss.samples[2].value));
        // The line that does not parse is named with its file and line; the rest is read.
        QCOMPARE(run->series[1].samples.size(), std::size_t(2));
        QCOMPARE(run->issues.size(), std::size_t(1));
        QCOMPARE(run->issues[0].line, 2);
        QVERIFY(run->issues[0].file.ends_with("metrics/val/acc"));
        QVERIFY2(run->issues[0].toString().find(": line 2: expected \"timestamp value step\"")
                     != std::string::npos,
                 run->issues[0].toString().c_str());
    }

    void unnamedFailedRun()
    {
        auto runs = findMlflowRuns(mlruns() / "1" / "bbb222");
        QVERIFY(runs);
        auto run = readMlflowRun(runs->front());
        QVERIFY(run);
        QCOMPARE(run->name, std::string("bbb222"));
        QVERIFY(run->status == lathe::track::RunStatus::Failed);
    }

    void noRuns()
    {
        const auto empty = fs::path(m_dir.path().toStdString()) / "empty";
        fs::create_directories(empty);
        auto runs = findMlflowRuns(empty);
        QVERIFY(!runs);
        QCOMPARE(runs.error().code, lathe::ErrorCode::NotFound);
    }
};

LATHE_TEST_GUILESS_MAIN(TestMlflowReader)
#include "tst_mlflow_reader.moc"
