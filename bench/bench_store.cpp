// Experiment-store throughput: metric rows written through StoreWriter (against a bare SQLite
// insert loop as the peer), then one 1M-point series read back and downsampled for a plot.
// Targets: >= 500,000 points/s written; read + LTTB to 2,000 points <= 50 ms.
#include "core/track/downsample.h"
#include "core/track/run_store.h"
#include "core/track/store_writer.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

using namespace lathe::track;

namespace {

constexpr std::int64_t kPoints = 1'000'000;
constexpr std::size_t kPlotPoints = 2000;
constexpr int kReadRepeats = 5;

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

MetricPoint point(std::int64_t runId, std::int64_t step)
{
    const double value = std::exp(-double(step) / 2e5) + 0.01 * std::sin(double(step));
    return {runId, "train.loss", step, double(step) / 1000.0, 1.7e9 + double(step) * 1e-3, value};
}

std::int64_t createRun(const std::filesystem::path &db)
{
    auto store = RunStore::open(db);
    if (!store) {
        std::fprintf(stderr, "cannot open store: %s\n", store.error().toString().c_str());
        return -1;
    }
    auto id = (*store)->createRun({.name = "bench"});
    return id ? *id : -1;
}

// The peer: the same rows through a bare prepared INSERT, 4096 rows per transaction.
double rawInsertPerSecond(const std::filesystem::path &db, std::int64_t runId)
{
    sqlite3 *conn = nullptr;
    sqlite3_open(db.c_str(), &conn);
    sqlite3_exec(conn, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    sqlite3_stmt *insert = nullptr;
    sqlite3_prepare_v2(conn,
                       "INSERT INTO metrics (run_id, key, step, epoch, wall_time, value) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       -1, &insert, nullptr);
    const auto start = Clock::now();
    for (std::int64_t i = 0; i < kPoints; ++i) {
        if (i % 4096 == 0)
            sqlite3_exec(conn, i == 0 ? "BEGIN" : "COMMIT; BEGIN", nullptr, nullptr, nullptr);
        const auto p = point(runId, i);
        sqlite3_bind_int64(insert, 1, p.runId);
        sqlite3_bind_text(insert, 2, p.key.c_str(), int(p.key.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 3, p.step);
        sqlite3_bind_double(insert, 4, p.epoch);
        sqlite3_bind_double(insert, 5, p.wallTime);
        sqlite3_bind_double(insert, 6, p.value);
        sqlite3_step(insert);
        sqlite3_reset(insert);
    }
    sqlite3_exec(conn, "COMMIT", nullptr, nullptr, nullptr);
    const double seconds = msSince(start) / 1000.0;
    sqlite3_finalize(insert);
    sqlite3_close(conn);
    return double(kPoints) / seconds;
}

bool writeThroughWriter(const std::filesystem::path &db, std::int64_t runId, double &perSecond,
                        double &enqueueMs)
{
    auto writer = StoreWriter::open(db);
    if (!writer)
        return false;
    const auto start = Clock::now();
    for (std::int64_t i = 0; i < kPoints; ++i)
        (*writer)->addMetric(point(runId, i));
    enqueueMs = msSince(start);
    auto flushed = (*writer)->flush();
    perSecond = double(kPoints) / (msSince(start) / 1000.0);
    if (!flushed)
        std::fprintf(stderr, "flush failed: %s\n", flushed.error().toString().c_str());
    return flushed.has_value();
}

struct ReadTiming
{
    double readMs = 0;
    double lttbMs = 0;
    double metricSeriesMs = 0;
    std::size_t rows = 0;
    std::size_t plotted = 0;
};

ReadTiming timeRead(RunStore &store, std::int64_t runId)
{
    ReadTiming t;
    auto start = Clock::now();
    auto points = store.seriesXY(runId, "train.loss");
    t.readMs = msSince(start);
    if (!points)
        return t;
    t.rows = points->size();
    start = Clock::now();
    const auto plot = downsampleLttb(*points, kPlotPoints);
    t.lttbMs = msSince(start);
    t.plotted = plot.size();
    start = Clock::now();
    auto rows = store.metricSeries(runId, "train.loss");
    t.metricSeriesMs = msSince(start);
    return t;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

} // namespace

int main()
{
    const auto dir = std::filesystem::temp_directory_path()
                     / ("lathe-bench-store-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const auto db = dir / "bench.db";
    const auto peerDb = dir / "peer.db";
    const auto runId = createRun(db);
    const auto peerRunId = createRun(peerDb);
    if (runId < 0 || peerRunId < 0)
        return 1;

    double writerRate = 0, enqueueMs = 0;
    if (!writeThroughWriter(db, runId, writerRate, enqueueMs))
        return 1;
    const double peerRate = rawInsertPerSecond(peerDb, peerRunId);
    std::printf("write %lld points: StoreWriter %.0f points/s (enqueue %.0f ms), "
                "bare SQLite %.0f points/s, ratio %.2f (target >= 500000 points/s)\n",
                static_cast<long long>(kPoints), writerRate, enqueueMs, peerRate,
                writerRate / peerRate);

    auto store = RunStore::open(db);
    if (!store)
        return 1;
    std::vector<double> reads, lttbs, totals, generic;
    ReadTiming t;
    for (int i = 0; i < kReadRepeats; ++i) {
        t = timeRead(**store, runId);
        reads.push_back(t.readMs);
        lttbs.push_back(t.lttbMs);
        totals.push_back(t.readMs + t.lttbMs);
        generic.push_back(t.metricSeriesMs);
    }
    std::printf("read %zu rows (seriesXY) %.1f ms, LTTB to %zu points %.1f ms, total %.1f ms "
                "(median of %d; first %.1f ms; target <= 50 ms); metricSeries %.1f ms\n",
                t.rows, median(reads), t.plotted, median(lttbs), median(totals), kReadRepeats,
                totals.front(), median(generic));
    store->reset();
    std::filesystem::remove_all(dir);
    return t.rows == std::size_t(kPoints) && t.plotted == kPlotPoints ? 0 : 1;
}
