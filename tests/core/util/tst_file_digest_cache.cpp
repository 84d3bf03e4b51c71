#include "core/util/file_digest_cache.h"

#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <chrono>
#include <fstream>

using lathe::util::FileDigestCache;

class TestFileDigestCache : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void knownDigestCachedAndRefreshed()
    {
        QTemporaryDir dir;
        const std::filesystem::path root = dir.path().toStdString();
        const auto file = root / "abc.txt";
        std::ofstream(file) << "abc";
        const auto cacheFile = root / "cache" / "digests.json";
        const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        {
            FileDigestCache cache(cacheFile);
            auto digest = cache.sha256(file);
            QVERIFY_OK(digest);
            QCOMPARE(*digest, abc);
            QCOMPARE(cache.computed(), 1);
            QVERIFY_OK(cache.save());
        }
        {
            // A new process: the digest comes from the cache file, not the file.
            FileDigestCache cache(cacheFile);
            QCOMPARE(*cache.sha256(file), abc);
            QCOMPARE(cache.computed(), 0);
        }
        // Changed bytes (and so size and time): hashed again.
        std::ofstream(file) << "abcd";
        FileDigestCache cache(cacheFile);
        QCOMPARE(*cache.sha256(file),
                 std::string("88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589"));
        QCOMPARE(cache.computed(), 1);
    }
    void missingFileIsIoError()
    {
        QTemporaryDir dir;
        FileDigestCache cache(dir.path().toStdString() + "/c.json");
        auto digest = cache.sha256("/nonexistent/lathe/data.gz");
        QVERIFY(!digest);
        QCOMPARE(digest.error().code, lathe::ErrorCode::Io);
        QVERIFY(digest.error().context.find("/nonexistent/lathe/data.gz") != std::string::npos);
    }
    void corruptCacheStartsEmpty()
    {
        QTemporaryDir dir;
        const std::filesystem::path cacheFile = dir.path().toStdString() + "/c.json";
        std::ofstream(cacheFile) << "{not json";
        FileDigestCache cache(cacheFile);
        auto digest = cache.sha256(LATHE_TEST_FASHION_DIR "/train-labels-idx1-ubyte.gz");
        QVERIFY_OK(digest);
        QCOMPARE(*digest,
                 std::string("0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"));
        QVERIFY_OK(cache.save());
    }
    // What the cache saves on a run's start: Fashion-MNIST's four files (30 MB) hashed, then
    // found. Printed, not asserted (the machine is shared).
    void fashionMnistTiming()
    {
        QTemporaryDir dir;
        const std::filesystem::path cacheFile = dir.path().toStdString() + "/c.json";
        const char *names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
        const auto pass = [&] {
            FileDigestCache cache(cacheFile);
            const auto start = std::chrono::steady_clock::now();
            for (const char *name : names)
                if (!cache.sha256(std::filesystem::path(LATHE_TEST_FASHION_DIR) / name))
                    qFatal("cannot hash %s", name);
            if (!cache.save())
                qFatal("cannot save the cache");
            return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now()
                                                             - start)
                .count();
        };
        const double hashed = pass();
        const double cached = pass();
        qInfo("Fashion-MNIST digests: %.1f ms hashed, %.2f ms from the cache", hashed, cached);
    }
};

LATHE_TEST_GUILESS_MAIN(TestFileDigestCache)
#include "tst_file_digest_cache.moc"
