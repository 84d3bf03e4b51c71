#include "core/track/run_store.h"
#include "core/track/store_writer.h"

#include "tests/test_registry.h"
#include "track_test_support.h"

#include <QtTest>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace lathe;
using namespace lathe::track;
using namespace std::chrono_literals;
using lathe::track::testing::pathIn;
using lathe::track::testing::rawInt;
using lathe::track::testing::str;

class TestStoreWriter : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::unique_ptr<RunStore> m_store; // the test's reading connection
    std::int64_t m_run = 0;

private Q_SLOTS:
    void init()
    {
        static int counter = 0;
        m_db = pathIn(m_dir, ("writer" + std::to_string(++counter) + ".db").c_str());
        auto store = RunStore::open(m_db);
        QVERIFY_OK(store);
        m_store = std::move(*store);
        auto run = m_store->createRun({.name = "w"});
        QVERIFY_OK(run);
        m_run = *run;
    }
    void cleanup() { m_store.reset(); }

    void rowsFromTwoThreadsAllArrive()
    {
        constexpr int kPerThread = 50000;
        auto writer = StoreWriter::open(m_db, {.flushInterval = 50ms, .maxBatchRows = 1000});
        QVERIFY_OK(writer);
        auto produce = [&](const char *key) {
            for (int i = 1; i <= kPerThread; ++i)
                (*writer)->addMetric({m_run, key, i, 0, 0, double(i)});
        };
        std::jthread a(produce, "a");
        std::jthread b(produce, "b");
        a.join();
        b.join();
        QVERIFY_OK((*writer)->flush());
        QVERIFY(!(*writer)->lastError());
        const double expectedSum = double(kPerThread) * (kPerThread + 1) / 2;
        for (const char *key : {"a", "b"}) {
            auto series = m_store->metricSeries(m_run, key);
            QVERIFY_OK(series);
            QCOMPARE(series->size(), std::size_t(kPerThread));
            double sum = 0;
            for (const auto &row : *series)
                sum += row.value;
            QCOMPARE(sum, expectedSum);
            auto plotted = m_store->seriesXY(m_run, key);
            QVERIFY_OK(plotted);
            QCOMPARE(plotted->size(), std::size_t(kPerThread));
            QCOMPARE(plotted->back().x, double(series->back().step));
        }
        QVERIFY(rawInt(m_db, "SELECT count(*) FROM metric_blocks") >= 2 * (kPerThread / 4096));
    }

    void pollingReaderSeesGapFreeGrowingSeries()
    {
        constexpr int kRows = 20000;
        auto writer = StoreWriter::open(m_db, {.flushInterval = 10ms, .maxBatchRows = 256});
        QVERIFY_OK(writer);
        std::jthread producer([&] {
            for (int i = 0; i < kRows; ++i) {
                (*writer)->addMetric({m_run, "loss", i, 0, 0, 1.0 / (i + 1)});
                if (i % 500 == 0)
                    std::this_thread::sleep_for(2ms);
            }
        });
        std::int64_t lastId = 0;
        std::int64_t nextStep = 0;
        int polls = 0;
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (nextStep < kRows && std::chrono::steady_clock::now() < deadline) {
            auto rows = m_store->metricSeries(m_run, "loss", lastId);
            QVERIFY_OK(rows);
            for (const auto &row : *rows) {
                QVERIFY(row.id > lastId);
                QCOMPARE(row.step, nextStep); // no gap, no reordering
                lastId = row.id;
                ++nextStep;
            }
            ++polls;
            std::this_thread::sleep_for(1ms);
        }
        producer.join();
        QCOMPARE(nextStep, std::int64_t(kRows));
        QVERIFY2(polls > 2, "the reader should have seen the series grow over several polls");
    }

    void statusChangesKeepTheirPlaceAmongMetrics()
    {
        constexpr int kRows = 3000;
        auto writer = StoreWriter::open(m_db, {.flushInterval = 5ms, .maxBatchRows = 64});
        QVERIFY_OK(writer);
        std::jthread producer([&] {
            (*writer)->setStatus(m_run, RunStatus::Running);
            for (int i = 0; i < kRows; ++i) {
                (*writer)->addMetric({m_run, "loss", i, 0, 0, 1.0});
                if (i % 200 == 0)
                    std::this_thread::sleep_for(1ms);
            }
            (*writer)->setStatus(m_run, RunStatus::Finished);
        });
        bool finished = false;
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        const auto count = [&] { return m_store->metricSeries(m_run, "loss")->size(); };
        while (!finished && std::chrono::steady_clock::now() < deadline) {
            // Commits only add, so reading in this order pins what each state implies.
            const auto before = count();
            auto run = m_store->run(m_run);
            QVERIFY_OK(run);
            const auto after = count();
            if (before > 0) // metrics visible: the Running change queued before them is too
                QVERIFY(run->status != RunStatus::Created);
            if (run->status == RunStatus::Finished) // and Finished comes after every metric
                QCOMPARE(after, std::size_t(kRows));
            finished = run->status == RunStatus::Finished;
        }
        producer.join();
        QVERIFY(finished);
        auto run = m_store->run(m_run);
        QVERIFY(run->startedAt > 0 && run->endedAt >= run->startedAt);
    }

    void eventsArtifactsAndStatusArrive()
    {
        {
            auto writer = StoreWriter::open(m_db);
            QVERIFY_OK(writer);
            (*writer)->addEvent({.runId = m_run, .kind = "checkpoint", .step = 3});
            (*writer)->addArtifact({.runId = m_run, .kind = "checkpoint", .path = "/c.pt"});
            (*writer)->setStatus(m_run, RunStatus::Failed, "out of memory");
            // No flush: the destructor drains the queue.
        }
        QCOMPARE(m_store->events(m_run)->size(), std::size_t(1));
        QCOMPARE(m_store->artifacts(m_run)->size(), std::size_t(1));
        QCOMPARE(m_store->run(m_run)->errorMessage, std::string("out of memory"));
    }

    void refusedRowsAreReportedAndSkipped()
    {
        auto writer = StoreWriter::open(m_db, {.flushInterval = 10ms});
        QVERIFY_OK(writer);
        (*writer)->addMetric({m_run, "loss", 1, 0, 0, 1.0});
        (*writer)->addMetric({m_run + 1000, "loss", 1, 0, 0, 1.0});
        (*writer)->addMetric({m_run, "loss", 2, 0, 0, 0.5});
        auto flushed = (*writer)->flush();
        QVERIFY(!flushed);
        QCOMPARE(flushed.error().code, ErrorCode::NotFound);
        QVERIFY((*writer)->lastError());
        QCOMPARE(m_store->metricSeries(m_run, "loss")->size(), std::size_t(2));

        (*writer)->addMetric({m_run, "loss", 3, 0, 0, 0.25});
        QVERIFY_OK((*writer)->flush());   // the error was reported once
        QVERIFY(!(*writer)->lastError()); // and a clean batch clears it
    }

    void lockedDatabaseIsRetriedWithoutLoss()
    {
        auto writer = StoreWriter::open(m_db, {.flushInterval = 20ms, .maxPendingRows = 100});
        QVERIFY_OK(writer);
        auto blocker = sql::Database::open(m_db, 5000);
        QVERIFY_OK(blocker);
        QVERIFY_OK(blocker->exec("BEGIN IMMEDIATE")); // holds the write lock
        for (int i = 0; i < 150; ++i)
            (*writer)->addMetric({m_run, "loss", i, 0, 0, 1.0});

        // Waits for the writer's attempt to give up after the 5 s busy timeout.
        auto flushed = (*writer)->flush();
        QVERIFY(!flushed);
        QCOMPARE(flushed.error().code, ErrorCode::Io); // first: 50 rows over the backlog cap
        QVERIFY(flushed.error().message.find("dropped") != std::string::npos);
        QVERIFY((*writer)->lastError());
        QCOMPARE((*writer)->lastError()->code, ErrorCode::Io);

        QVERIFY_OK(blocker->exec("COMMIT"));
        QVERIFY_OK((*writer)->flush());
        QVERIFY(!(*writer)->lastError());
        const auto rows = m_store->metricSeries(m_run, "loss");
        QCOMPARE(rows->size(), std::size_t(100)); // each kept row exactly once, in order
        for (std::size_t i = 0; i < rows->size(); ++i)
            QCOMPARE((*rows)[i].step, std::int64_t(i));
    }

    void editsApplyInOrderWithTheRows()
    {
        auto other = m_store->createRun({.name = "doomed"});
        QVERIFY_OK(other);
        auto writer = StoreWriter::open(m_db, {.flushInterval = 10s}); // edits need no flush
        QVERIFY_OK(writer);
        std::mutex mutex;
        std::vector<std::string> outcomes; // "ok" or the error, in the order they were told
        std::atomic<std::thread::id> doneOn;
        const auto record = [&](Result<void> done) {
            doneOn = std::this_thread::get_id();
            std::lock_guard lock(mutex);
            outcomes.push_back(done ? "ok" : done.error().message);
        };
        (*writer)->addEvent({.runId = *other, .kind = "before", .step = 1});
        (*writer)->edit({RenameRun{m_run, "renamed"}, SetRunNotes{m_run, "notes"},
                         AddRunTag{m_run, "keep"}, AddRunTag{m_run, "drop"},
                         RemoveRunTag{m_run, "drop"}},
                        record);
        (*writer)->edit({DeleteRun{*other}}, record);
        // Queued after the delete: the database refuses it, so the delete came first.
        (*writer)->addEvent({.runId = *other, .kind = "after", .step = 2});
        auto flushed = (*writer)->flush();
        QVERIFY(!flushed);
        QCOMPARE(flushed.error().code, ErrorCode::NotFound);

        QCOMPARE(outcomes, (std::vector<std::string>{"ok", "ok"}));
        QVERIFY(doneOn.load() != std::this_thread::get_id()); // told on the writer thread
        auto run = m_store->run(m_run);
        QVERIFY_OK(run);
        QCOMPARE(run->name, std::string("renamed"));
        QCOMPARE(run->notes, std::string("notes"));
        QCOMPARE(run->tags, std::vector<std::string>{"keep"});
        QCOMPARE(m_store->run(*other).error().code, ErrorCode::NotFound);
        QCOMPARE(
            rawInt(m_db, "SELECT count(*) FROM events WHERE run_id = " + std::to_string(*other)),
            std::int64_t(0));
    }

    void refusedEditsStopTheirGroupAndReportOnlyThere()
    {
        auto writer = StoreWriter::open(m_db, {.flushInterval = 10ms});
        QVERIFY_OK(writer);
        std::mutex mutex;
        std::vector<Result<void>> outcomes;
        const auto record = [&](Result<void> done) {
            std::lock_guard lock(mutex);
            outcomes.push_back(std::move(done));
        };
        (*writer)->edit(
            {SetRunNotes{m_run, "first"}, RenameRun{m_run, ""}, SetRunNotes{m_run, "never"}},
            record);
        (*writer)->edit({RenameRun{m_run + 1000, "nobody"}}, record);
        (*writer)->edit({DeleteRun{m_run + 1000}}, record); // gone already: done
        QVERIFY_OK((*writer)->flush()); // edits' errors are theirs, not the writer's
        QVERIFY(!(*writer)->lastError());
        QCOMPARE(outcomes.size(), std::size_t(3));
        QVERIFY(!outcomes[0]);
        QCOMPARE(outcomes[0].error().code, ErrorCode::InvalidArgument);
        QVERIFY(!outcomes[1]);
        QCOMPARE(outcomes[1].error().code, ErrorCode::NotFound);
        QVERIFY_OK(outcomes[2]);
        QCOMPARE(m_store->run(m_run)->notes, std::string("first")); // applied before the error
        QCOMPARE(m_store->run(m_run)->name, std::string("w"));
    }

    void queuedEditsAreAppliedOnDestruction()
    {
        std::atomic<int> told = 0;
        {
            auto writer = StoreWriter::open(m_db, {.flushInterval = 10s});
            QVERIFY_OK(writer);
            (*writer)->addMetric({m_run, "loss", 1, 0, 0, 1.0});
            (*writer)->edit({AddRunTag{m_run, "late"}},
                            [&](Result<void> done) { told += done ? 1 : 100; });
        }
        QCOMPARE(told.load(), 1);
        QCOMPARE(m_store->run(m_run)->tags, std::vector<std::string>{"late"});
        QCOMPARE(m_store->metricSeries(m_run, "loss")->size(), std::size_t(1));
    }

    void openErrorsComeBack()
    {
        const auto path = pathIn(m_dir, "not-a-db");
        std::ofstream(path) << std::string(4096, 'x');
        auto writer = StoreWriter::open(path);
        QVERIFY(!writer);
        QCOMPARE(writer.error().code, ErrorCode::BadInput);
    }
};

LATHE_TEST_GUILESS_MAIN(TestStoreWriter)
#include "tst_store_writer.moc"
