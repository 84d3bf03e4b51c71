// The time write transactions wait for another connection's write lock
// (core/track/write_lock_waits.h), measured on real connections to one file.
#include "core/track/schema.h"
#include "core/track/sqlite.h"
#include "core/track/write_lock_waits.h"

#include "tests/test_registry.h"
#include "track_test_support.h"

#include <QtTest>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <thread>

using namespace lathe;
using namespace lathe::track;
using namespace std::chrono_literals;
using lathe::track::testing::pathIn;

class TestWriteLockWaits : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void aFreeLockIsNoWait()
    {
        auto db = schema::openDatabase(pathIn(m_dir, "free.db"));
        QVERIFY_OK(db);
        const auto before = writeLockWaitsOnThisThread();
        for (int i = 0; i < 3; ++i) {
            auto tx = sql::Transaction::begin(*db);
            QVERIFY_OK(tx);
            QVERIFY_OK(tx->commit());
        }
        const auto after = writeLockWaitsOnThisThread();
        QCOMPARE(after.transactions, before.transactions + 3);
        QCOMPARE(after.waited, before.waited);
    }

    void aHeldLockIsTimedAndLogged()
    {
        const auto file = pathIn(m_dir, "held.db");
        QVERIFY_OK(schema::openDatabase(file));
        auto log = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
        auto previous = spdlog::default_logger();
        auto logger = std::make_shared<spdlog::logger>("test", log);
        logger->set_level(spdlog::level::debug);
        spdlog::set_default_logger(logger);

        // Another connection, on a thread of its own, holds the write lock for 150 ms.
        std::promise<void> locked;
        std::jthread holder([&] {
            auto other = sql::Database::open(file, 5000);
            auto tx = sql::Transaction::begin(*other);
            locked.set_value();
            std::this_thread::sleep_for(150ms);
            (void)tx->commit();
        });
        locked.get_future().wait();
        auto db = schema::openDatabase(file);
        QVERIFY_OK(db);
        const auto before = writeLockWaitsOnThisThread();
        {
            auto tx = sql::Transaction::begin(*db);
            QVERIFY_OK(tx);
            QVERIFY_OK(tx->commit());
        }
        holder.join();
        const auto after = writeLockWaitsOnThisThread();
        spdlog::set_default_logger(previous);

        // The holder's transaction is its thread's, not ours.
        QCOMPARE(after.transactions, before.transactions + 1);
        QCOMPARE(after.waited, before.waited + 1);
        QVERIFY2(after.longestMs >= 100 && after.longestMs < 5000,
                 std::to_string(after.longestMs).c_str());
        QVERIFY(after.waitedMs - before.waitedMs >= 100);
        const auto lines = log->last_formatted();
        QVERIFY(!lines.empty());
        QVERIFY2(lines.back().find(file.string() + ": waited ") != std::string::npos
                     && lines.back().find(" ms for the write lock") != std::string::npos,
                 lines.back().c_str());
    }
};

LATHE_TEST_GUILESS_MAIN(TestWriteLockWaits)
#include "tst_write_lock_waits.moc"
