// Opening the store: folders, file checks and numbered migrations (core/track/schema.h).
#include "core/track/run_store.h"
#include "core/track/schema.h"
#include "core/util/sha256.h"

#include "track_test_support.h"

#include <QtTest>

#include <array>
#include <random>

using namespace lathe;
using namespace lathe::track;
using lathe::track::testing::pathIn;
using lathe::track::testing::rawExec;
using lathe::track::testing::rawInt;

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

QTEST_GUILESS_MAIN(TestSchema)
#include "tst_schema.moc"
