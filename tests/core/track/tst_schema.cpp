// Opening the store: folders, file checks and numbered migrations (core/track/schema.h).
#include "core/track/run_store.h"
#include "core/track/schema.h"
#include "core/util/sha256.h"

#include "tests/test_registry.h"
#include "track_test_support.h"

#include <QtTest>

#include <algorithm>
#include <array>
#include <random>

using namespace lathe;
using namespace lathe::track;
using lathe::track::testing::pathIn;
using lathe::track::testing::rawExec;
using lathe::track::testing::rawInt;
using lathe::track::testing::str;

namespace {

// One row a store of some schema version may hold, inserted as that version's code wrote it.
struct FixtureRow
{
    int version; // the first schema version with the table
    const char *table;
    const char *values;
};

// Representative rows for every schema version: run 1 is a finished run with its config, params,
// metrics, a checkpoint, a tag and events, run 2 its failed child; each later version adds rows of
// what it brought. A new migration adds its rows here (olderVersionsMigrate_data checks that
// every version has some).
constexpr std::array kFixtureRows{
    FixtureRow{1,
               "runs (id, name, status, created_at, started_at, ended_at, config_json, host, "
               "pid, seed, notes)",
               "(1, 'old-run', 'finished', 1.7e9, 1.7e9, 1.7e9 + 60, "
               "'{\"model\":{\"arch\":\"cnn\"}}', 'h', 1, 42, 'kept notes')"},
    FixtureRow{1, "runs (id, name, status, created_at, parent_id)",
               "(2, 'old-child', 'failed', 1.7e9 + 100, 1)"},
    FixtureRow{1, "params", "(1, 'model.arch', 'cnn')"},
    FixtureRow{1, "metrics (run_id, key, step, epoch, wall_time, value)",
               "(1, 'train/loss', 1, 0.5, 1.7e9 + 1, 2.3)"},
    FixtureRow{1, "metrics (run_id, key, step, epoch, wall_time, value)",
               "(1, 'train/loss', 2, 1, 1.7e9 + 2, 1.9)"},
    FixtureRow{1, "artifacts (run_id, kind, path, bytes, sha256, created_at)",
               "(1, 'checkpoint-last', 'runs/1/last.pt', 10, 'ab', 1.7e9 + 60)"},
    FixtureRow{1, "tags", "(1, 'baseline')"},
    FixtureRow{1, "events (run_id, kind, step, wall_time)", "(1, 'started', 0, 1.7e9)"},
    FixtureRow{1, "events (run_id, kind, step, wall_time)", "(1, 'finished', 2, 1.7e9 + 60)"},
    FixtureRow{2, "histograms (run_id, name, kind, step, min, max, counts)",
               "(1, 'conv1.weight', 'weights', 2, -1, 1, x'0100000002000000')"},
    FixtureRow{3, "sweeps (id, name, spec_json, status, created_at, ended_at)",
               "(1, 'old-sweep', '{\"name\":\"old-sweep\"}', 'finished', 1.7e9, 1.7e9 + 90)"},
    FixtureRow{3,
               "sweep_trials (sweep_id, number, run_id, params_json, state, value, host, pid, "
               "pid_start, asked_at, ended_at)",
               "(1, 0, 1, '{\"optimizer.lr\":0.01}', 'completed', 0.8, 'h', 1, 5, 1.7e9, "
               "1.7e9 + 60)"},
    FixtureRow{3, "sweep_values (sweep_id, number, step, value)", "(1, 0, 1, 0.8)"},
};

// The table a fixture row goes into: its `table` up to the column list.
std::string tableOf(const FixtureRow &row)
{
    const std::string_view table(row.table);
    return std::string(table.substr(0, table.find(' ')));
}

} // namespace

class TestSchema : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void freshDatabaseIsAtLatestVersion()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "nested/folders/lathe.db");
        auto store = RunStore::open(db);
        QVERIFY_OK(store);
        QVERIFY(std::filesystem::exists(db));
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(RunStore::latestSchemaVersion()));
        QCOMPARE(rawInt(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                            "('runs','params','metrics','artifacts','tags','events')"),
                 std::int64_t(6));
        auto conn = sql::Database::open(db, 5000);
        QVERIFY_OK(conn);
        QCOMPARE(conn->queryText("PRAGMA journal_mode").value_or(""), std::string("wal"));
    }

    void reopeningIsIdempotent()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "lathe.db");
        std::int64_t id = 0;
        {
            auto store = RunStore::open(db);
            QVERIFY_OK(store);
            auto created = (*store)->createRun({.name = "kept"});
            QVERIFY_OK(created);
            id = *created;
        }
        for (int i = 0; i < 2; ++i) {
            auto store = RunStore::open(db);
            QVERIFY_OK(store);
            auto run = (*store)->run(id);
            QVERIFY_OK(run);
            QCOMPARE(run->name, std::string("kept"));
        }
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(RunStore::latestSchemaVersion()));
    }

    void newerSchemaIsRefusedAndUntouched()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "future.db");
        QVERIFY_OK(RunStore::open(db));
        const int future = RunStore::latestSchemaVersion() + 1;
        QVERIFY(rawExec(db, "PRAGMA user_version = " + std::to_string(future)));
        const auto before = util::sha256File(db);
        QVERIFY_OK(before);

        auto store = RunStore::open(db);
        QVERIFY(!store);
        QCOMPARE(store.error().code, ErrorCode::SchemaTooNew);
        const auto text = store.error().toString();
        QVERIFY2(text.find(db.string()) != std::string::npos, text.c_str());
        QVERIFY2(text.find("version " + std::to_string(future)) != std::string::npos, text.c_str());
        QVERIFY2(text.find(std::to_string(future - 1)) != std::string::npos, text.c_str());

        const auto after = util::sha256File(db);
        QVERIFY_OK(after);
        QCOMPARE(*after, *before);
    }

    void newerSchemaOpensReadOnlyForReading()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "future.db");
        std::int64_t id = 0;
        {
            auto store = RunStore::open(db);
            QVERIFY_OK(store);
            auto created = (*store)->createRun({.name = "from-the-future"});
            QVERIFY_OK(created);
            id = *created;
            QVERIFY_OK(
                (*store)->addMetrics(std::array{MetricPoint{id, "train/loss", 1, 0, 0, 2.5}}));
        }
        // What a newer Lathe's migration might have done: a table this build does not know.
        const int future = RunStore::latestSchemaVersion() + 1;
        QVERIFY(rawExec(db, "CREATE TABLE later_things (id INTEGER PRIMARY KEY); "
                            "PRAGMA user_version = "
                                + std::to_string(future)));
        const auto before = util::sha256File(db);
        QVERIFY_OK(before);

        auto store = RunStore::openForReading(db);
        QVERIFY_OK(store);
        const auto &why = (*store)->readOnlyReason();
        QVERIFY2(why.find("version " + std::to_string(future)) != std::string::npos, why.c_str());
        auto runs = (*store)->listRuns({});
        QVERIFY_OK(runs);
        QCOMPARE(runs->size(), std::size_t(1));
        QCOMPARE(runs->front().name, std::string("from-the-future"));
        auto loss = (*store)->metricSeries(id, "train/loss");
        QVERIFY_OK(loss);
        QCOMPARE(loss->size(), std::size_t(1));
        QVERIFY(!(*store)->rename(id, "changed"));
        QVERIFY(!(*store)->createRun({.name = "new"}));
        store->reset();

        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(future));
        const auto after = util::sha256File(db);
        QVERIFY_OK(after);
        QCOMPARE(*after, *before);

        // A store of this build's version opens writable, as open() does.
        const auto current = pathIn(dir, "current.db");
        auto writable = RunStore::openForReading(current);
        QVERIFY_OK(writable);
        QVERIFY((*writable)->readOnlyReason().empty());
        QVERIFY_OK((*writable)->createRun({.name = "new"}));
    }

    void randomBytesAreBadInput()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "noise.db");
        {
            std::mt19937 rng(42);
            std::ofstream out(db, std::ios::binary);
            for (int i = 0; i < 8192; ++i)
                out.put(static_cast<char>(rng() & 0xff));
        }
        const auto before = util::sha256File(db);
        auto store = RunStore::open(db);
        QVERIFY(!store);
        QCOMPARE(store.error().code, ErrorCode::BadInput);
        QVERIFY(store.error().toString().find(db.string()) != std::string::npos);
        QCOMPARE(util::sha256File(db).value_or(""), before.value_or("?"));
    }

    void someoneElsesSqliteIsBadInput()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "other.db");
        QVERIFY(rawExec(db, "CREATE TABLE runs (x); INSERT INTO runs VALUES (1)"));
        auto store = RunStore::open(db);
        QVERIFY(!store);
        QCOMPARE(store.error().code, ErrorCode::BadInput);
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(0));
    }

    void folderThatCannotBeCreatedIsIo()
    {
        QTemporaryDir dir;
        const auto blocker = pathIn(dir, "file");
        std::ofstream(blocker) << "not a folder";
        auto store = RunStore::open(blocker / "lathe.db");
        QVERIFY(!store);
        QCOMPARE(store.error().code, ErrorCode::Io);
    }

    // A store of every older schema version (made by applying only its migrations, holding the
    // rows that version wrote) opens with this build: it migrates and keeps every row.
    void olderVersionsMigrate_data()
    {
        QTest::addColumn<int>("version");
        for (int version = 1; version < schema::kLatestVersion; ++version)
            QTest::addRow("version %d", version) << version;
        for (int version = 1; version <= schema::kLatestVersion; ++version) {
            QVERIFY2(std::ranges::any_of(kFixtureRows,
                                         [&](const auto &row) { return row.version == version; }),
                     qPrintable(QString("no fixture rows for schema version %1").arg(version)));
        }
    }

    void olderVersionsMigrate()
    {
        QFETCH(int, version);
        QTemporaryDir dir;
        const auto db = pathIn(dir, "old.db");
        {
            auto old = schema::openDatabase(
                db, std::span(schema::kMigrations).first(std::size_t(version)));
            QVERIFY_OK(old);
            for (const auto &row : kFixtureRows) {
                if (row.version <= version)
                    QVERIFY_OK(old->exec(std::string("INSERT INTO ") + row.table + " VALUES "
                                         + row.values));
            }
        }
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(version));

        auto store = RunStore::open(db);
        QVERIFY_OK(store);
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(schema::kLatestVersion));
        auto check = sql::Database::open(db, 5000);
        QVERIFY_OK(check);
        QCOMPARE(check->queryText("PRAGMA integrity_check").value_or(""), std::string("ok"));
        for (const auto &row : kFixtureRows) {
            if (row.version > version)
                continue;
            const auto table = tableOf(row);
            const auto want = std::ranges::count_if(kFixtureRows, [&](const auto &other) {
                return other.version <= version && tableOf(other) == table;
            });
            QCOMPARE(rawInt(db, "SELECT count(*) FROM " + table), std::int64_t(want));
        }
        // And the store reads them as it reads its own.
        auto run = (*store)->run(1);
        QVERIFY_OK(run);
        QCOMPARE(run->name, std::string("old-run"));
        QCOMPARE(str(run->status), str(RunStatus::Finished));
        QCOMPARE(run->notes, std::string("kept notes"));
        QCOMPARE(run->tags, std::vector<std::string>{"baseline"});
        auto child = (*store)->run(2);
        QVERIFY_OK(child);
        QCOMPARE(child->parentId, std::optional<std::int64_t>(1));
        auto loss = (*store)->metricSeries(1, "train/loss");
        QVERIFY_OK(loss);
        QCOMPARE(loss->size(), std::size_t(2));
        QCOMPARE(loss->back().value, 1.9);
        auto artifacts = (*store)->artifacts(1);
        QVERIFY_OK(artifacts);
        QCOMPARE(artifacts->size(), std::size_t(1));
        QCOMPARE(artifacts->front().sha256, std::string("ab"));
        auto params = (*store)->params(1);
        QVERIFY_OK(params);
        QCOMPARE(params->size(), std::size_t(1));
        // The migrated store takes new rows of every kind.
        auto created = (*store)->createRun({.name = "new-run"});
        QVERIFY_OK(created);
        QCOMPARE(*created, std::int64_t(3));
    }

    void eachMigrationHasItsOwnTransaction()
    {
        QTemporaryDir dir;
        const auto db = pathIn(dir, "steps.db");
        const std::array<std::string_view, 2> broken{"CREATE TABLE one (x)",
                                                     "CREATE TABLE two (x); THIS IS NOT SQL"};
        auto opened = schema::openDatabase(db, broken);
        QVERIFY(!opened);
        QVERIFY2(opened.error().message.find("migration 2") != std::string::npos,
                 opened.error().message.c_str());
        // Step 1 is kept, step 2 was rolled back entirely.
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(1));
        QCOMPARE(rawInt(db, "SELECT count(*) FROM sqlite_master WHERE name = 'two'"),
                 std::int64_t(0));

        const std::array<std::string_view, 2> fixed{"CREATE TABLE one (x)", "CREATE TABLE two (x)"};
        QVERIFY_OK(schema::openDatabase(db, fixed));
        QCOMPARE(rawInt(db, "PRAGMA user_version"), std::int64_t(2));
        QCOMPARE(rawInt(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('one', 'two')"),
                 std::int64_t(2));
    }
};

LATHE_TEST_GUILESS_MAIN(TestSchema)
#include "tst_schema.moc"
