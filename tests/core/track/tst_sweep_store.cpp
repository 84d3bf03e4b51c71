// The sweep rows of the store (core/track/sweep_store.h): sweeps, trials handed out by askTrial
// in one write transaction, dead workers' trials re-assigned, intermediate values.
#include "core/track/process_identity.h"
#include "core/track/run_store.h"
#include "core/track/sweep_store.h"

#include "tests/test_registry.h"
#include "track_test_support.h"

#include <QtTest>

#include <algorithm>
#include <set>
#include <thread>

using namespace lathe;
using namespace lathe::track;
using lathe::track::testing::deadPid;
using lathe::track::testing::pathIn;
using lathe::track::testing::rawExec;
using lathe::track::testing::rawInt;

namespace {

// A sampler that gives trial N the params {"n": N}.
Result<std::string> numberParams(const std::vector<TrialRow> &, int number)
{
    return "{\"n\":" + std::to_string(number) + "}";
}

std::unique_ptr<SweepStore> openStore(const std::filesystem::path &db)
{
    auto store = SweepStore::open(db);
    if (!store)
        qFatal("%s", store.error().toString().c_str());
    return std::move(*store);
}

std::int64_t newSweep(SweepStore &store, const char *name = "s")
{
    auto id = store.createSweep({name, "{\"name\":\"s\"}", 0});
    if (!id)
        qFatal("%s", id.error().toString().c_str());
    return *id;
}

QString text(std::string_view view)
{
    return QString::fromLatin1(view.data(), qsizetype(view.size()));
}

} // namespace

class TestSweepStore : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void createReadAndList()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "lathe.db");
        auto store = openStore(db);
        auto first = store->createSweep({"first", "{\"a\":1}", 25});
        QVERIFY_OK(first);
        const auto second = newSweep(*store, "second");
        auto info = store->sweep(*first);
        QVERIFY_OK(info);
        QCOMPARE(info->name, std::string("first"));
        QCOMPARE(info->specJson, std::string("{\"a\":1}"));
        QCOMPARE(info->maxSteps, std::int64_t(25));
        QCOMPARE(text(toString(info->status)), QString("running"));
        QVERIFY(info->createdAt > 0);
        QCOMPARE(info->endedAt, 0.0);

        auto all = store->listSweeps();
        QVERIFY_OK(all);
        QCOMPARE(all->size(), std::size_t(2));
        QCOMPARE(all->front().id, second); // newest first

        QVERIFY_OK(store->setSweepStatus(*first, SweepStatus::Stopped));
        QVERIFY(store->sweep(*first)->endedAt > 0);
        QVERIFY_OK(store->setSweepStatus(*first, SweepStatus::Running));
        QCOMPARE(store->sweep(*first)->endedAt, 0.0);

        auto missing = store->sweep(99);
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, ErrorCode::NotFound);
        QVERIFY(missing.error().toString().find(db.string()) != std::string::npos);
        QCOMPARE(store->trials(99).error().code, ErrorCode::NotFound);
        QVERIFY(!store->createSweep({"", "{}", 0}));
    }

    // Trials are numbered in order until the budget is spent; the sampler sees the history.
    void askUntilTheBudgetIsSpent()
    {
        QTemporaryDir dir;
        auto store = openStore(pathIn(dir, "lathe.db"));
        const auto id = newSweep(*store);
        std::vector<std::size_t> seen;
        const TrialSampler sample = [&](const std::vector<TrialRow> &history, int number) {
            seen.push_back(history.size());
            return numberParams(history, number);
        };
        for (int i = 0; i < 3; ++i) {
            auto asked = store->askTrial(id, 3, sample);
            QVERIFY_OK(asked);
            QVERIFY(asked->has_value());
            QCOMPARE((*asked)->number, i);
            QCOMPARE((*asked)->paramsJson, "{\"n\":" + std::to_string(i) + "}");
            QVERIFY(!(*asked)->reassigned);
        }
        auto spent = store->askTrial(id, 3, sample);
        QVERIFY_OK(spent);
        QVERIFY(!spent->has_value());
        QCOMPARE(seen, (std::vector<std::size_t>{0, 1, 2}));

        QVERIFY_OK(store->recordValue(id, 0, 1, 0.5));
        QVERIFY_OK(store->recordValue(id, 0, 2, 0.7));
        QVERIFY_OK(store->recordValue(id, 0, 2, 0.75)); // replaced
        QVERIFY_OK(store->recordValue(id, 1, 1, std::nan("")));
        QVERIFY_OK(store->finishTrial(id, 0, TrialState::Completed, 0.75));
        QVERIFY_OK(store->finishTrial(id, 1, TrialState::Pruned, std::nullopt));
        QVERIFY_OK(
            store->finishTrial(id, 2, TrialState::Failed, std::nullopt, "the loss became NaN"));
        auto trials = store->trials(id);
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(3));
        const auto &t0 = (*trials)[0];
        QCOMPARE(text(toString(t0.state)), QString("completed"));
        QCOMPARE(t0.value.value_or(0), 0.75);
        QCOMPARE(t0.values, (std::map<std::int64_t, double>{{1, 0.5}, {2, 0.75}}));
        QCOMPARE(t0.owner.pid, currentProcess().pid);
        QVERIFY(t0.endedAt >= t0.askedAt);
        QVERIFY(std::isnan((*trials)[1].values.at(1)));
        QCOMPARE(text(toString((*trials)[1].state)), QString("pruned"));
        QCOMPARE((*trials)[2].errorMessage, std::string("the loss became NaN"));
        QVERIFY(!(*trials)[2].value);
    }

    // A trial left running by a dead worker of this host goes to the next worker that asks,
    // before any new trial and even when the budget is spent; its old values are dropped.
    void deadWorkersTrialIsReassigned()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "lathe.db");
        auto store = openStore(db);
        const auto id = newSweep(*store);
        QVERIFY_OK(store->askTrial(id, 2, numberParams));
        QVERIFY_OK(store->askTrial(id, 2, numberParams));
        QVERIFY_OK(store->recordValue(id, 1, 1, 0.3));
        QVERIFY_OK(store->finishTrial(id, 0, TrialState::Completed, 0.9));
        QVERIFY(rawExec(db, "UPDATE sweep_trials SET pid = " + std::to_string(deadPid())
                                + " WHERE number = 1"));

        auto asked = store->askTrial(id, 2, numberParams);
        QVERIFY_OK(asked);
        QVERIFY(asked->has_value());
        QCOMPARE((*asked)->number, 1);
        QVERIFY((*asked)->reassigned);
        QCOMPARE((*asked)->paramsJson, std::string("{\"n\":1}"));
        auto trials = store->trials(id);
        QVERIFY_OK(trials);
        QCOMPARE((*trials)[1].owner.pid, currentProcess().pid);
        QCOMPARE((*trials)[1].owner.startTime, currentProcess().startTime);
        QVERIFY((*trials)[1].values.empty());
        QCOMPARE(text(toString((*trials)[1].state)), QString("running"));
        // Now alive (ours): nothing more to hand out.
        QVERIFY(!store->askTrial(id, 2, numberParams)->has_value());

        // A reused pid: same pid, another start time, is dead too.
        QVERIFY(rawExec(db, "UPDATE sweep_trials SET pid_start = pid_start + 1 WHERE number = 1"));
        QVERIFY(store->askTrial(id, 2, numberParams).value()->reassigned);
    }

    // Another host's trials are that host's business: never re-assigned here.
    void anotherHostsTrialIsLeftAlone()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "lathe.db");
        auto store = openStore(db);
        const auto id = newSweep(*store);
        QVERIFY_OK(store->askTrial(id, 5, numberParams));
        QVERIFY(rawExec(db, "UPDATE sweep_trials SET host = 'elsewhere', pid = "
                                + std::to_string(deadPid())));
        auto asked = store->askTrial(id, 5, numberParams);
        QVERIFY_OK(asked);
        QCOMPARE((*asked)->number, 1);
        QVERIFY(!(*asked)->reassigned);
    }

    // The sampler runs inside the write transaction: another connection cannot write meanwhile,
    // and a sampler's error leaves no trial behind.
    void samplerRunsInsideTheTransaction()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "lathe.db");
        auto store = openStore(db);
        const auto id = newSweep(*store);
        bool locked = false;
        auto asked = store->askTrial(id, 3, [&](const std::vector<TrialRow> &history, int n) {
            auto other = sql::Database::open(db, 0);
            locked = other && !other->exec("BEGIN IMMEDIATE");
            return numberParams(history, n);
        });
        QVERIFY_OK(asked);
        QVERIFY(locked);

        auto refused = store->askTrial(id, 3, [](const std::vector<TrialRow> &, int) {
            return Result<std::string>(fail(ErrorCode::NotFound, "the grid is exhausted"));
        });
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, ErrorCode::NotFound);
        QCOMPARE(rawInt(db, "SELECT count(*) FROM sweep_trials"), std::int64_t(1));
    }

    // Workers with their own connections asking at once, with a grid sampler that takes the
    // first point no trial holds: each point goes to exactly one trial.
    void concurrentAsksCoverAGridOnce()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "lathe.db");
        const auto id = newSweep(*openStore(db));
        constexpr int kPoints = 24;
        const TrialSampler grid = [](const std::vector<TrialRow> &history, int) {
            std::set<std::string> taken;
            for (const auto &trial : history)
                taken.insert(trial.paramsJson);
            for (int p = 0; p < kPoints; ++p) {
                const auto params = "{\"p\":" + std::to_string(p) + "}";
                if (!taken.contains(params))
                    return Result<std::string>(params);
            }
            return Result<std::string>(fail(ErrorCode::NotFound, "the grid is exhausted"));
        };
        std::vector<std::vector<std::string>> got(4);
        std::vector<std::string> errors(4);
        {
            std::vector<std::jthread> workers;
            for (int w = 0; w < 4; ++w)
                workers.emplace_back([&, w] {
                    auto store = SweepStore::open(db);
                    if (!store) {
                        errors[w] = store.error().toString();
                        return;
                    }
                    for (;;) {
                        auto asked = (*store)->askTrial(id, kPoints, grid);
                        if (!asked) {
                            errors[w] = asked.error().toString();
                            return;
                        }
                        if (!*asked)
                            return;
                        got[w].push_back((*asked)->paramsJson);
                    }
                });
        }
        std::vector<std::string> all;
        for (int w = 0; w < 4; ++w) {
            QVERIFY2(errors[w].empty(), errors[w].c_str());
            all.insert(all.end(), got[w].begin(), got[w].end());
        }
        std::sort(all.begin(), all.end());
        QCOMPARE(all.size(), std::size_t(kPoints));
        QVERIFY(std::adjacent_find(all.begin(), all.end()) == all.end());
        QCOMPARE(rawInt(db, "SELECT count(DISTINCT number) FROM sweep_trials"),
                 std::int64_t(kPoints));
    }

    void badCallsNameTheTrialAndTheFile()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "lathe.db");
        auto store = openStore(db);
        const auto id = newSweep(*store);
        QVERIFY_OK(store->askTrial(id, 1, numberParams));
        auto running = store->finishTrial(id, 0, TrialState::Running, std::nullopt);
        QCOMPARE(running.error().code, ErrorCode::InvalidArgument);
        auto unknown = store->recordValue(id, 7, 1, 0.5);
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().code, ErrorCode::NotFound);
        QVERIFY(unknown.error().toString().find("trial 7") != std::string::npos);
        QVERIFY(unknown.error().toString().find(db.string()) != std::string::npos);
        QCOMPARE(store->finishTrial(id, 7, TrialState::Failed, std::nullopt).error().code,
                 ErrorCode::NotFound);
        QCOMPARE(store->setTrialRun(id, 7, 1).error().code, ErrorCode::NotFound);
        QCOMPARE(store->setSweepStatus(99, SweepStatus::Finished).error().code,
                 ErrorCode::NotFound);
        QCOMPARE(store->askTrial(99, 1, numberParams).error().code, ErrorCode::NotFound);
    }

    // A trial keeps its row when its run is deleted (run_id becomes NULL).
    void aNewerStoreIsReadReadOnly()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "future.db");
        std::int64_t id = 0;
        {
            auto store = openStore(db);
            id = newSweep(*store, "later");
            QVERIFY(store->askTrial(id, 5, numberParams));
        }
        const int future = RunStore::latestSchemaVersion() + 1;
        QVERIFY(rawExec(db, "PRAGMA user_version = " + std::to_string(future)));
        QCOMPARE(SweepStore::open(db).error().code, ErrorCode::SchemaTooNew);

        auto store = SweepStore::openForReading(db);
        QVERIFY(store.has_value());
        auto sweeps = (*store)->listSweeps();
        QVERIFY(sweeps.has_value());
        QCOMPARE(sweeps->size(), std::size_t(1));
        QCOMPARE(sweeps->front().name, std::string("later"));
        auto trials = (*store)->trials(id);
        QVERIFY(trials.has_value());
        QCOMPARE(trials->size(), std::size_t(1));
        QVERIFY(!(*store)->createSweep({"new", "{}", 0}));
        QVERIFY(!(*store)->setSweepStatus(id, SweepStatus::Stopped));
        store->reset();
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(future));

        // A store of this build's version opens writable, as open() does.
        auto writable = SweepStore::openForReading(pathIn(dir, "current.db"));
        QVERIFY(writable.has_value());
        QVERIFY((*writable)->createSweep({"new", "{}", 0}).has_value());
    }

    void deletingTheRunKeepsTheTrial()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "lathe.db");
        auto runs = RunStore::open(db);
        QVERIFY_OK(runs);
        auto runId = (*runs)->createRun({.name = "s-t0"});
        QVERIFY_OK(runId);
        auto store = openStore(db);
        const auto id = newSweep(*store);
        QVERIFY_OK(store->askTrial(id, 1, numberParams));
        QVERIFY_OK(store->setTrialRun(id, 0, *runId));
        QCOMPARE(store->trials(id)->front().runId.value_or(0), *runId);
        QVERIFY_OK((*runs)->deleteRun(*runId));
        auto trials = store->trials(id);
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(1));
        QVERIFY(!trials->front().runId);
    }
};

LATHE_TEST_GUILESS_MAIN(TestSweepStore)
#include "tst_sweep_store.moc"
