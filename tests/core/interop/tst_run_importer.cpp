#include "core/interop/run_importer.h"
#include "core/track/run_store.h"

#include "event_file_writer.h"
#include "mlflow_store_writer.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <algorithm>

using namespace lathe;
using namespace lathe::interop;
using namespace lathe::testing;
namespace fs = std::filesystem;

class TestRunImporter : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    fs::path root() const { return fs::path(m_dir.path().toStdString()); }

    std::unique_ptr<track::RunStore> store(const fs::path &db)
    {
        auto opened = track::RunStore::open(db);
        return opened ? std::move(*opened) : nullptr;
    }

    fs::path writeMlruns()
    {
        const auto mlruns = root() / "mlruns";
        writeExperiment(mlruns, "3", "sweep");
        MlflowRunSpec a;
        a.experimentId = "3";
        a.runId = "r1";
        a.runName = "adam-small";
        a.params = {{"lr", "0.001"}, {"optimizer", "adam"}, {"batch_size", "64"}};
        a.metrics = {{"val_accuracy", {"1700000010000 0.80 1", "1700000020000 0.85 2"}},
                     {"loss", {"1700000010000 0.9 1", "1700000020000 0.7 2"}}};
        writeMlflowRun(mlruns, a);
        MlflowRunSpec b = a;
        b.runId = "r2";
        b.runName = "sgd-small";
        b.status = 5; // KILLED
        b.params = {{"lr", "0.1"}, {"optimizer", "sgd"}, {"batch_size", "64"}};
        writeMlflowRun(mlruns, b);
        return mlruns;
    }

private Q_SLOTS:
    void detectsFormats()
    {
        const auto mlruns = writeMlruns();
        QVERIFY(*detectFormat(mlruns) == SourceFormat::MLflow);
        QVERIFY(*detectFormat(mlruns / "3" / "r1") == SourceFormat::MLflow);
        EventFileBuilder file;
        file.scalar(1, 1, "x", 1.0f);
        file.write(root() / "tb" / "run" / "events.out.tfevents.1.h");
        QVERIFY(*detectFormat(root() / "tb") == SourceFormat::TensorBoard);
        QVERIFY(*detectFormat(root() / "tb" / "run" / "events.out.tfevents.1.h")
                == SourceFormat::TensorBoard);
        QCOMPARE(detectFormat(root() / "absent").error().code, ErrorCode::NotFound);
        // Both kinds under one folder: the user chooses.
        auto both = detectFormat(root());
        QVERIFY(!both);
        QCOMPARE(both.error().code, ErrorCode::InvalidArgument);
        QVERIFY(both.error().message.find("--format") != std::string::npos);
    }

    // MLflow's params are the runs' config keys: the store's config diff and params see them.
    void mlflowParamsMetricsAndDiff()
    {
        const auto db = root() / "mlflow.db";
        auto report = importRuns(db, writeMlruns());
        QVERIFY2(report, report ? "" : report.error().toString().c_str());
        QVERIFY(report->format == SourceFormat::MLflow);
        QCOMPARE(report->importedCount(), std::size_t(2));
        auto s = store(db);
        auto a = s->findRun("adam-small");
        auto b = s->findRun("sgd-small");
        QVERIFY(a && b);
        QVERIFY(a->status == track::RunStatus::Finished);
        QVERIFY(b->status == track::RunStatus::Stopped);
        QCOMPARE(a->startedAt, 1700000000.0);
        QCOMPARE(a->createdAt, 1700000000.0);
        QCOMPARE(a->endedAt, 1700000600.0);
        QVERIFY(std::find(a->tags.begin(), a->tags.end(), "import:mlflow:r1") != a->tags.end());
        QVERIFY(std::find(a->tags.begin(), a->tags.end(), "experiment:sweep") != a->tags.end());
        auto params = s->params(a->id);
        QVERIFY(params);
        QCOMPARE(*params, (std::vector<std::pair<std::string, std::string>>{
                              {"batch_size", "64"}, {"lr", "0.001"}, {"optimizer", "adam"}}));
        const std::vector<std::int64_t> ids{a->id, b->id};
        auto diff = s->configDiff(ids);
        QVERIFY(diff);
        QCOMPARE(diff->size(), std::size_t(2));
        QCOMPARE((*diff)[0].key, std::string("lr"));
        QCOMPARE((*diff)[1].values[1], std::optional<std::string>("sgd"));
        auto acc = s->metricSeries(a->id, "val_accuracy");
        QVERIFY(acc);
        QCOMPARE(acc->size(), std::size_t(2));
        QCOMPARE((*acc)[1].step, 2);
        QCOMPARE((*acc)[1].value, 0.85);
        QCOMPARE((*acc)[1].wallTime, 1700000020.0);
        auto events = s->events(a->id);
        QVERIFY(events && !events->empty());
        QCOMPARE(events->back().kind, std::string("import"));
    }

    // The same path imported again writes nothing: each run is found by its import tag.
    void secondImportSkips()
    {
        const auto db = root() / "twice.db";
        const auto mlruns = writeMlruns();
        QVERIFY(importRuns(db, mlruns));
        auto again = importRuns(db, mlruns / "3");
        QVERIFY(again);
        QCOMPARE(again->importedCount(), std::size_t(0));
        QCOMPARE(again->skippedCount(), std::size_t(2));
        QCOMPARE(again->runs[0].name, std::string("adam-small"));
        auto s = store(db);
        auto runs = s->listRuns({});
        QVERIFY(runs);
        QCOMPARE(runs->size(), std::size_t(2));
        auto loss = s->metricSeries(again->runs[0].runId, "loss");
        QCOMPARE(loss->size(), std::size_t(2));
    }

    // A TensorBoard log folder with a damaged record in the middle of one file and another file
    // cut short: both reported with file and offset, everything else imported.
    void tensorBoardWithDamage()
    {
        const auto logs = root() / "tblogs";
        EventFileBuilder good;
        good.add(fileVersionEvent(5000));
        for (int step = 0; step < 100; ++step)
            good.scalar(5000 + step, step, "train/loss", 1.0f / float(step + 1));
        good.bytes()[std::size_t(good.offsets()[50]) + 20] ^= 0x40; // the step-49 record
        good.write(logs / "a" / "events.out.tfevents.5000.h");
        EventFileBuilder cut;
        for (int step = 0; step < 10; ++step)
            cut.scalar(6000 + step, step, "val/accuracy", 0.1f * float(step));
        cut.bytes().resize(cut.bytes().size() - 7);
        cut.write(logs / "b" / "events.out.tfevents.6000.h");
        const auto db = root() / "tb.db";
        std::vector<std::size_t> progress;
        auto report
            = importRuns(db, logs, {std::nullopt, [&](std::size_t done, std::size_t, const auto &) {
                                        progress.push_back(done);
                                    }});
        QVERIFY2(report, report ? "" : report.error().toString().c_str());
        QCOMPARE(progress, (std::vector<std::size_t>{0, 1, 2}));
        QCOMPARE(report->runs.size(), std::size_t(2));
        const auto &a = report->runs[0];
        QCOMPARE(a.samples, 99);
        QCOMPARE(a.issues.size(), std::size_t(1));
        QCOMPARE(a.issues[0].offset, good.offsets()[50]);
        const auto &b = report->runs[1];
        QCOMPARE(b.samples, 9);
        QCOMPARE(b.issues.size(), std::size_t(1));
        QCOMPARE(b.issues[0].offset, cut.offsets()[9]);
        QVERIFY(b.issues[0].message.find("truncated") != std::string::npos);
        auto s = store(db);
        auto run = s->findRun("a");
        QVERIFY(run);
        QCOMPARE(run->startedAt, 5000.0);
        QCOMPARE(run->endedAt, 5099.0);
        QVERIFY(run->status == track::RunStatus::Finished);
        auto loss = s->metricSeries(run->id, "train/loss");
        QCOMPARE(loss->size(), std::size_t(99));
        QCOMPARE((*loss)[49].step, 50); // step 49 was the damaged record
        QCOMPARE((*loss)[98].wallTime, 5099.0);
        auto events = s->events(run->id);
        QVERIFY(events->back().payloadJson.find("byte " + std::to_string(good.offsets()[50]))
                != std::string::npos);
        // Imported again: skipped, still two runs.
        auto again = importRuns(db, logs);
        QVERIFY(again);
        QCOMPARE(again->skippedCount(), std::size_t(2));
        QCOMPARE(s->listRuns({})->size(), std::size_t(2));
    }

    void cancelledBeforeAnyRun()
    {
        std::stop_source stop;
        stop.request_stop();
        auto report
            = importRuns(root() / "cancel.db", writeMlruns(), {std::nullopt, {}, stop.get_token()});
        QVERIFY(!report);
        QCOMPARE(report.error().code, ErrorCode::Cancelled);
        QCOMPARE(store(root() / "cancel.db")->listRuns({})->size(), std::size_t(0));
    }
};

LATHE_TEST_GUILESS_MAIN(TestRunImporter)
#include "tst_run_importer.moc"
