// Histogram rows in the store: the schema migration that adds them (an older database keeps
// its runs), the counts' encoding, the series queries the Histograms panel polls, and writes
// through the batching writer.
#include "core/track/histogram_blob.h"
#include "core/track/run_store.h"
#include "core/track/schema.h"
#include "core/track/store_writer.h"

#include "tests/test_registry.h"
#include "track_test_support.h"

#include <QtTest>

#include <span>

using namespace lathe;
using namespace lathe::track;
using lathe::track::testing::pathIn;
using lathe::track::testing::rawExec;
using lathe::track::testing::rawInt;

namespace {

HistogramRow row(std::int64_t runId, std::int64_t step, std::string name, HistogramKind kind,
                 std::vector<std::uint32_t> counts = {1, 2, 3})
{
    return {
        runId, step, std::move(name), kind, -1.0 * double(step), double(step), std::move(counts)};
}

} // namespace

class TestHistogramStore : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void countsEncodeAsLittleEndianUint32()
    {
        const std::vector<std::uint32_t> counts{0, 1, 0x01020304u, 0xffffffffu};
        const auto blob = encodeHistogramCounts(counts);
        QCOMPARE(blob.size(), std::size_t(16));
        QCOMPARE(int(blob[8]), 0x04);
        QCOMPARE(int(blob[11]), 0x01);
        QCOMPARE(decodeHistogramCounts(blob).value(), counts);
        QVERIFY(!decodeHistogramCounts(std::span(blob).first(7)));
    }

    // A database at version 1 (before histograms) migrates and keeps its runs.
    void previousVersionMigratesAndKeepsRuns()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "old.db");
        {
            const auto previous = std::span(schema::kMigrations).first(1);
            auto old = schema::openDatabase(db, previous);
            QVERIFY_OK(old);
            QVERIFY_OK(old->exec("INSERT INTO runs (name, created_at) VALUES ('before', 1.0); "
                                 "INSERT INTO metrics (run_id, key, step, value) "
                                 "VALUES (1, 'train/loss', 1, 2.5)"));
        }
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(1));
        QCOMPARE(rawInt(db, "SELECT count(*) FROM sqlite_master WHERE name = 'histograms'"),
                 std::int64_t(0));

        auto store = RunStore::open(db);
        QVERIFY_OK(store);
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(RunStore::latestSchemaVersion()));
        auto run = (*store)->findRun("before");
        QVERIFY_OK(run);
        auto loss = (*store)->lastMetric(run->id, "train/loss");
        QVERIFY_OK(loss);
        QCOMPARE(loss->value_or(0.0), 2.5);
        auto keys = (*store)->histogramKeys(run->id);
        QVERIFY_OK(keys);
        QVERIFY(keys->empty());
        const std::vector rows{row(run->id, 10, "fc1.weight", HistogramKind::Weights)};
        QVERIFY_OK((*store)->addHistograms(rows));
        QCOMPARE((*store)
                     ->histogramSeries(run->id, {"fc1.weight", HistogramKind::Weights})
                     .value()
                     .size(),
                 std::size_t(1));
    }

    void seriesAreListedInRecordingOrderAndReadIncrementally()
    {
        QTemporaryDir dir;
        auto store = RunStore::open(pathIn(dir, "lathe.db"));
        QVERIFY_OK(store);
        const auto runId = (*store)->createRun({.name = "h"}).value();
        std::vector<HistogramRow> rows;
        for (std::int64_t step : {5, 10, 15}) {
            rows.push_back(row(runId, step, "fc1.weight", HistogramKind::Weights));
            rows.push_back(row(runId, step, "fc1.weight", HistogramKind::Gradients));
            rows.push_back(
                row(runId, step, "relu1", HistogramKind::Activations, {std::uint32_t(step), 0}));
        }
        QVERIFY_OK((*store)->addHistograms(rows));
        const std::vector<HistogramKey> expected{{"fc1.weight", HistogramKind::Weights},
                                                 {"fc1.weight", HistogramKind::Gradients},
                                                 {"relu1", HistogramKind::Activations}};
        QVERIFY((*store)->histogramKeys(runId).value() == expected);

        auto all = (*store)->histogramSeries(runId, {"relu1", HistogramKind::Activations});
        QVERIFY_OK(all);
        QCOMPARE(all->size(), std::size_t(3));
        QCOMPARE(all->at(2).step, std::int64_t(15));
        QCOMPARE(all->at(2).min, -15.0);
        QCOMPARE(all->at(2).max, 15.0);
        QCOMPARE(all->at(2).counts, (std::vector<std::uint32_t>{15, 0}));
        auto after = (*store)->histogramSeries(runId, {"relu1", HistogramKind::Activations}, 10);
        QVERIFY_OK(after);
        QCOMPARE(after->size(), std::size_t(1));
        QCOMPARE(after->front().step, std::int64_t(15));

        // The same key again (a resumed run recording its steps again) replaces the row.
        const std::vector again{row(runId, 15, "relu1", HistogramKind::Activations, {7, 7})};
        QVERIFY_OK((*store)->addHistograms(again));
        after = (*store)->histogramSeries(runId, {"relu1", HistogramKind::Activations}, 10);
        QCOMPARE(after->size(), std::size_t(1));
        QCOMPARE(after->front().counts, (std::vector<std::uint32_t>{7, 7}));

        // Resuming from the checkpoint of step 5 drops what comes after it.
        QVERIFY_OK((*store)->deleteMetricsAfter(runId, 5));
        QCOMPARE(
            (*store)->histogramSeries(runId, {"fc1.weight", HistogramKind::Weights}).value().size(),
            std::size_t(1));
        QVERIFY_OK((*store)->deleteRun(runId));
        QCOMPARE(rawInt((*store)->path(), "SELECT count(*) FROM histograms"), std::int64_t(0));
    }

    void badRowsAreRefusedWholeBatch()
    {
        QTemporaryDir dir;
        auto store = RunStore::open(pathIn(dir, "lathe.db"));
        QVERIFY_OK(store);
        const auto runId = (*store)->createRun({.name = "h"}).value();
        auto unknownRun = std::vector{row(runId, 1, "w", HistogramKind::Weights),
                                      row(runId + 7, 1, "w", HistogramKind::Weights)};
        auto done = (*store)->addHistograms(unknownRun);
        QVERIFY(!done);
        QCOMPARE(done.error().code, ErrorCode::NotFound);
        auto empty = std::vector{row(runId, 1, "", HistogramKind::Weights)};
        QCOMPARE((*store)->addHistograms(empty).error().code, ErrorCode::InvalidArgument);
        auto noBins = std::vector{row(runId, 1, "w", HistogramKind::Weights, {})};
        QCOMPARE((*store)->addHistograms(noBins).error().code, ErrorCode::InvalidArgument);
        auto inverted = std::vector{row(runId, 1, "w", HistogramKind::Weights)};
        std::swap(inverted[0].min, inverted[0].max);
        QCOMPARE((*store)->addHistograms(inverted).error().code, ErrorCode::InvalidArgument);
        QVERIFY((*store)->histogramKeys(runId).value().empty());
        // A row whose counts were damaged on disk is reported, not misread.
        QVERIFY_OK(
            (*store)->addHistograms(std::vector{row(runId, 2, "w", HistogramKind::Weights)}));
        QVERIFY(rawExec((*store)->path(), "UPDATE histograms SET counts = x'010203'"));
        auto corrupt = (*store)->histogramSeries(runId, {"w", HistogramKind::Weights});
        QVERIFY(!corrupt);
        QCOMPARE(corrupt.error().code, ErrorCode::BadInput);
    }

    void writerQueuesHistogramsWithOtherRows()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "lathe.db");
        auto store = RunStore::open(db);
        QVERIFY_OK(store);
        const auto runId = (*store)->createRun({.name = "h"}).value();
        {
            auto writer = StoreWriter::open(db);
            QVERIFY_OK(writer);
            (*writer)->addMetric({runId, "train/loss", 1, 0.0, 0.0, 1.0});
            (*writer)->addHistogram(row(runId, 1, "fc1.weight", HistogramKind::Weights));
            (*writer)->addHistogram(row(runId + 9, 1, "lost", HistogramKind::Weights));
            auto flushed = (*writer)->flush();
            QVERIFY(!flushed); // the unknown run's row is refused and reported
            QCOMPARE(flushed.error().code, ErrorCode::NotFound);
            (*writer)->addHistogram(row(runId, 2, "fc1.weight", HistogramKind::Weights));
        } // the destructor drains the queue
        auto series = (*store)->histogramSeries(runId, {"fc1.weight", HistogramKind::Weights});
        QVERIFY_OK(series);
        QCOMPARE(series->size(), std::size_t(2));
        QCOMPARE(series->back().counts, (std::vector<std::uint32_t>{1, 2, 3}));
    }
};

LATHE_TEST_GUILESS_MAIN(TestHistogramStore)
#include "tst_histogram_store.moc"
