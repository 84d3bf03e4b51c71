// The malloc settings training runs under: a freed activation-sized block stays in the heap for
// the next step instead of going back to the kernel, from the main thread and from a worker
// thread (where lathe trains), and a user's own malloc tuning is left alone.
#include "core/util/allocator.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <thread>

using namespace lathe;

namespace {

constexpr std::size_t kBlock = 16u << 20; // a conv activation of the default cnn is ~10 MiB

// Through volatile pointers, so the compiler cannot drop the malloc/free pair.
void *(*volatile allocate)(std::size_t) = std::malloc;
void (*volatile release)(void *) = std::free;

/// Free bytes kept in the main arena after `kBlock` is allocated, touched and freed.
std::size_t keptAfterFree()
{
    void *block = allocate(kBlock);
    std::memset(block, 1, kBlock);
    release(block);
    return mallinfo2().fordblks;
}

// AddressSanitizer and ThreadSanitizer replace glibc's malloc: their mallopt declines and
// mallinfo2 says nothing of their heap, so glibc's settings cannot be observed (scripts/test
// --sanitize).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kGlibcMalloc = false;
#else
constexpr bool kGlibcMalloc = true;
#endif

} // namespace

class TestAllocator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void freedBlocksStayInTheHeap()
    {
        if (!kGlibcMalloc)
            QSKIP("a sanitizer's malloc replaces glibc's");
        QVERIFY(util::configureAllocator());
        QVERIFY(util::configureAllocator()); // once per process; later calls keep the answer
        QVERIFY2(keptAfterFree() >= kBlock, "a freed 16 MiB block went back to the kernel");
    }

    void aWorkerThreadUsesTheSameHeap()
    {
        if (!kGlibcMalloc)
            QSKIP("a sanitizer's malloc replaces glibc's");
        QVERIFY(util::configureAllocator());
        std::size_t kept = 0;
        std::thread([&kept] { kept = keptAfterFree(); }).join();
        QVERIFY2(kept >= kBlock, "a worker thread's freed block is not in the main heap");
    }

    void userTuningIsLeftAlone()
    {
        // A fresh process with the user's own setting: configureAllocator must decline.
        if (qEnvironmentVariableIsSet("LATHE_TST_ALLOCATOR_CHILD")) {
            std::exit(util::configureAllocator() ? 1 : 0);
        }
        QProcess child;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("LATHE_TST_ALLOCATOR_CHILD", "1");
        env.insert("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=65536");
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(),
                    lathe::test::selfArguments({"userTuningIsLeftAlone"}));
        QVERIFY(child.waitForFinished(30000));
        QCOMPARE(child.exitStatus(), QProcess::NormalExit);
        QCOMPARE(child.exitCode(), 0);
    }
};

LATHE_TEST_GUILESS_MAIN(TestAllocator)
#include "tst_allocator.moc"
