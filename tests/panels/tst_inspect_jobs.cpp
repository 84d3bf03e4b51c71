// The bridge's model cache against a real run's checkpoints: a checkpoint file rewritten
// after it was loaded (a run that trained on) is loaded again, not served stale.
#include "panels/bridge/inspect_jobs.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace lathe;
using lathe::panels::InspectKey;
using lathe::panels::inspect_jobs::ModelCache;

namespace {

double weightSum(train::OpenedRun &model)
{
    double sum = 0;
    for (const auto &p : model.net->parameters())
        sum += p.sum().item<double>();
    return sum;
}

} // namespace

class TestInspectJobs : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aRewrittenCheckpointIsLoadedAgain()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "lathe.db";
        auto config = testing::tinyConfig(600, 2);
        config.training.keepEpochCheckpoints = true;
        const auto runId = testing::trainRun(db, config, "cache");
        ModelCache cache(db);
        const InspectKey last{runId, "last"};
        const auto sumOf = [&](const InspectKey &key) {
            double sum = NAN;
            auto ok = cache.with(key, [&](train::OpenedRun &m) -> Result<void> {
                sum = weightSum(m);
                return {};
            });
            return ok ? sum : NAN;
        };
        const double epoch2 = sumOf(last);
        const double epoch1 = sumOf({runId, "epoch-1"});
        QVERIFY(std::isfinite(epoch2) && std::isfinite(epoch1) && epoch1 != epoch2);
        QCOMPARE(sumOf(last), epoch2); // served from the cache

        // last.pt replaced (and recorded), as training on would: the cache notices and loads it
        // again.
        const auto runDir = train::runDirectory(db, runId);
        std::filesystem::copy_file(runDir / "epoch-1.pt", runDir / "last.pt",
                                   std::filesystem::copy_options::overwrite_existing);
        testing::recordCheckpoint(db, runId, "last", runDir / "last.pt");
        std::filesystem::last_write_time(runDir / "last.pt",
                                         std::filesystem::file_time_type::clock::now()
                                             + std::chrono::seconds(2));
        QCOMPARE(sumOf(last), epoch1);
    }
};

LATHE_TEST_GUILESS_MAIN(TestInspectJobs)
#include "tst_inspect_jobs.moc"
