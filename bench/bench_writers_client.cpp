// The GUI's side of bench/writers.sh: while lathe-cli processes train into one store, poll it as
// the window does (the run list, then each run's train/loss series from the last id seen, on a
// reading RunStore) and rename and tag runs as a user would (edits through a StoreWriter, the
// window's only writer). Runs until STOP_FILE exists, then checks that every rename and tag it
// made is in the store and that the series it read arrived gap-free, and prints its figures.
// Usage: bench_writers_client DB STOP_FILE [POLL_MS=100]   (exit 1 on any failure)
#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/track/store_writer.h"
#include "core/util/log.h"
#include "core/util/paths.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace lathe;
using namespace lathe::track;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string distribution(std::vector<double> ms)
{
    if (ms.empty())
        return "none";
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) { return ms[std::size_t(q * double(ms.size() - 1))]; };
    char text[128];
    std::snprintf(text, sizeof text, "median %.1f ms, p95 %.1f ms, max %.1f ms", at(0.5), at(0.95),
                  ms.back());
    return text;
}

// What the user asked of one run, to check against the store at the end.
struct Expected
{
    std::string name;
    std::set<std::string> tags;
};

// The series of one run as the client has read it so far.
struct SeriesSeen
{
    std::int64_t lastId = 0;
    std::int64_t lastStep = 0;
    bool gap = false;
};

class Client
{
public:
    Client(std::unique_ptr<RunStore> store, std::unique_ptr<StoreWriter> writer)
        : m_store(std::move(store))
        , m_writer(std::move(writer))
    {
    }

    // One tick of the window: the run list, every run's new train/loss rows, one edit.
    void poll()
    {
        const auto start = Clock::now();
        auto runs = m_store->runSummaries();
        if (!runs) {
            fail("run list: " + runs.error().toString());
            return;
        }
        for (const auto &summary : *runs)
            readSeries(summary.run.id);
        m_pollMs.push_back(msSince(start));
        if (!runs->empty())
            editNext(*runs);
    }

    // Waits for the edits, checks the store holds them, prints the figures; true when all held.
    bool finish()
    {
        if (auto flushed = m_writer->flush(); !flushed)
            fail("writer: " + flushed.error().toString());
        m_writer.reset(); // joins: every edit's outcome is in
        for (const auto &[id, expected] : m_expected)
            checkApplied(id, expected);
        std::size_t gaps = 0;
        for (const auto &[id, seen] : m_series)
            gaps += seen.gap ? 1 : 0;
        std::printf("client: %zu polls (run list + train/loss of every run): %s\n", m_pollMs.size(),
                    distribution(m_pollMs).c_str());
        std::printf("client: %zu edits (rename + tag) on %zu runs, enqueued to applied: %s\n",
                    m_editMs.size(), m_expected.size(), distribution(m_editMs).c_str());
        std::printf("client: series read live with gaps %zu, failures %zu\n", gaps,
                    m_failures.size());
        for (const auto &failure : m_failures)
            std::printf("client FAILED: %s\n", failure.c_str());
        return m_failures.empty() && gaps == 0;
    }

private:
    void readSeries(std::int64_t runId)
    {
        auto &seen = m_series[runId];
        auto rows = m_store->metricSeries(runId, keys::kTrainLoss, seen.lastId);
        if (!rows) {
            fail("series of run " + std::to_string(runId) + ": " + rows.error().toString());
            return;
        }
        for (const auto &row : *rows) {
            // Ids grow in commit order and a run logs steps 1, 2, ...: what a plot appends.
            seen.gap = seen.gap || row.step != seen.lastStep + 1;
            seen.lastStep = row.step;
            seen.lastId = row.id;
        }
    }

    // Renames and tags the runs in turn, the running ones while there are any: a user renames
    // the run they are watching.
    void editNext(const std::vector<RunSummary> &runs)
    {
        std::vector<std::int64_t> ids;
        for (const auto &summary : runs) {
            if (summary.run.status == RunStatus::Running)
                ids.push_back(summary.run.id);
        }
        if (ids.empty()) {
            for (const auto &summary : runs)
                ids.push_back(summary.run.id);
        }
        const auto runId = ids[m_edits++ % ids.size()];
        auto &expected = m_expected[runId];
        const auto n = std::to_string(m_edits);
        expected.name = "gui-" + std::to_string(runId) + "-" + n;
        expected.tags.insert("t" + n);
        const auto start = Clock::now();
        m_writer->edit({RenameRun{runId, expected.name}, AddRunTag{runId, "t" + n}},
                       [this, runId, start](Result<void> done) {
                           std::lock_guard lock(m_mutex);
                           m_editMs.push_back(msSince(start));
                           if (!done)
                               m_failures.push_back("edit of run " + std::to_string(runId) + ": "
                                                    + done.error().toString());
                       });
    }

    void checkApplied(std::int64_t runId, const Expected &expected)
    {
        auto run = m_store->run(runId);
        if (!run) {
            fail("run " + std::to_string(runId) + ": " + run.error().toString());
            return;
        }
        if (run->name != expected.name)
            fail("run " + std::to_string(runId) + " is named \"" + run->name + "\", not \""
                 + expected.name + "\"");
        const std::set<std::string> tags(run->tags.begin(), run->tags.end());
        if (!std::includes(tags.begin(), tags.end(), expected.tags.begin(), expected.tags.end()))
            fail("run " + std::to_string(runId) + " lacks some of its "
                 + std::to_string(expected.tags.size()) + " tags");
    }

    void fail(std::string what)
    {
        std::lock_guard lock(m_mutex);
        m_failures.push_back(std::move(what));
    }

    std::unique_ptr<RunStore> m_store;
    std::unique_ptr<StoreWriter> m_writer;
    std::map<std::int64_t, SeriesSeen> m_series;
    std::map<std::int64_t, Expected> m_expected;
    std::size_t m_edits = 0;
    std::vector<double> m_pollMs;
    std::mutex m_mutex; // the edits' outcomes arrive on the writer's thread
    std::vector<double> m_editMs;
    std::vector<std::string> m_failures;
};

} // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s DB STOP_FILE [POLL_MS=100]\n", argv[0]);
        return 2;
    }
    const std::filesystem::path db = argv[1];
    const std::filesystem::path stopFile = argv[2];
    const auto pollInterval = std::chrono::milliseconds(argc > 3 ? std::stoi(argv[3]) : 100);
    // As lathe-cli and the window do: the writer's waits for the write lock go to the log file.
    util::setupLogging(util::dataDir() / "logs", "warn");

    // Opened as StoreClient opens them (panels/bridge/store_client.cpp), reader first.
    auto store = RunStore::open(db);
    if (!store) {
        std::fprintf(stderr, "client FAILED: %s\n", store.error().toString().c_str());
        return 1;
    }
    auto writer = StoreWriter::open(db);
    if (!writer) {
        std::fprintf(stderr, "client FAILED: %s\n", writer.error().toString().c_str());
        return 1;
    }
    Client client(std::move(*store), std::move(*writer));
    for (bool last = false; !last;) {
        last = std::filesystem::exists(stopFile);
        client.poll();
        if (!last)
            std::this_thread::sleep_for(pollInterval);
    }
    return client.finish() ? 0 : 1;
}
