#include "core/train/run_environment.h"

#include "core/train/run_job.h"
#include "tests/qverify_ok.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QtTest>

#include <torch/version.h>

#include <fstream>

using namespace lathe;

class TestRunEnvironment : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        // The digest cache goes to the temporary data directory, not the user's.
        qputenv("XDG_DATA_HOME", m_home.path().toUtf8());
    }
    void collected()
    {
        const auto env = train::collectEnvironment();
        QCOMPARE(env.torchVersion, std::string(TORCH_VERSION));
        const auto build = [&](const std::string &key) {
            for (const auto &[k, v] : env.torchBuild)
                if (k == key)
                    return v;
            return std::string();
        };
        // Debian's LibTorch 1.13: oneDNN 2.6.3, OpenMP, no CUDA.
        QVERIFY(!build("oneDNN").empty());
        QVERIFY(!build("OpenMP").empty());
        QVERIFY(!build("CPU capability").empty());
        QCOMPARE(build("CUDA"), std::string("OFF"));
        QVERIFY2(build("BLAS library").find("blas") != std::string::npos,
                 build("BLAS library").c_str());
        QVERIFY(env.threads >= 1);
        QVERIFY(!env.cpu.model.empty());
    }
    void fingerprintFashionMnist()
    {
        train::DataConfig data;
        data.path = LATHE_TEST_FASHION_DIR;
        util::FileDigestCache cache(m_home.path().toStdString() + "/fp.json");
        auto files = train::fingerprintData(data, cache);
        QVERIFY_OK(files);
        QCOMPARE(files->size(), std::size_t(4));
        // sorted by path: t10k images, t10k labels, train images, train labels
        QCOMPARE(files->back().sha256,
                 std::string("0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"));
        QCOMPARE(files->back().bytes, std::int64_t(29491));
        QCOMPARE((*files)[2].bytes, std::int64_t(26421856));
        data.path = "/nonexistent/lathe/data";
        auto missing = train::fingerprintData(data, cache);
        QVERIFY(!missing);
        QVERIFY(missing.error().context.find("/nonexistent/lathe/data") != std::string::npos);
    }
    // A folder of many files (an image folder) is one entry: its manifest's digest.
    void manyFilesAreOneManifest()
    {
        QTemporaryDir dir;
        for (int i = 0; i < 70; ++i)
            std::ofstream(dir.path().toStdString() + "/img" + std::to_string(i) + ".png") << i;
        train::DataConfig data;
        data.path = dir.path().toStdString();
        util::FileDigestCache cache(m_home.path().toStdString() + "/fp2.json");
        auto files = train::fingerprintData(data, cache);
        QVERIFY_OK(files);
        QCOMPARE(files->size(), std::size_t(1));
        QCOMPARE(files->front().files, std::int64_t(70));
        const auto first = files->front().sha256;
        std::ofstream(dir.path().toStdString() + "/img3.png") << "changed";
        QVERIFY(train::fingerprintData(data, cache)->front().sha256 != first);
    }
    // Every attempt records one environment event; the stored one reads back whole.
    void storedWithEveryAttempt()
    {
        QTemporaryDir dir;
        const std::filesystem::path db = dir.path().toStdString() + "/lathe.db";
        auto config = testing::tinyConfig(256, 2);
        auto job = train::RunJob::createNew(config, {db, "env", 2});
        QVERIFY_OK(job);
        QVERIFY_OK((*job)->run());
        const auto id = (*job)->runId();
        job->reset();
        auto resumed = train::RunJob::resumeExisting(std::to_string(id), {db, "", 4});
        QVERIFY_OK(resumed);
        QVERIFY_OK((*resumed)->run());
        resumed->reset();
        auto store = track::RunStore::openForReading(db);
        QVERIFY_OK(store);
        auto all = train::storedEnvironments(**store, id);
        QVERIFY_OK(all);
        QCOMPARE(all->size(), std::size_t(2));
        const auto &env = all->back();
        QCOMPARE(env.host, util::machineEnvironment().host);
        QCOMPARE(env.torchVersion, std::string(TORCH_VERSION));
        QCOMPARE(env.threads, 2); // LATHE_THREADS in the test's environment
        QCOMPARE(env.dataFiles.size(), std::size_t(4));
        QCOMPARE(env.dataFiles.back().sha256,
                 std::string("0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"));
        auto latest = train::latestEnvironment(**store, id);
        QVERIFY_OK(latest);
        QVERIFY(latest->has_value() && **latest == env);
        // Not part of the config: a copy of the run's config trains the same.
        QVERIFY((*store)->run(id)->configJson.find("environment") == std::string::npos);
        auto params = (*store)->params(id);
        for (const auto &[key, value] : *params)
            QVERIFY2(!key.starts_with("env"), key.c_str());
    }

private:
    QTemporaryDir m_home;
};

LATHE_TEST_GUILESS_MAIN(TestRunEnvironment)
#include "tst_run_environment.moc"
