// The distributed sampler: every sample exactly once per epoch, each step's samples over N ranks
// the single-process step's batch whatever N is, one rank the loader's own order, and the
// remainder rule.
#include "core/data/dataset.h"
#include "core/data/loader.h"
#include "core/dist/dist_options.h"
#include "core/dist/sampler.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <map>
#include <numeric>

using namespace lathe;
using namespace lathe::dist;

namespace {

std::vector<std::int64_t> iota(std::int64_t n, std::int64_t from = 0)
{
    std::vector<std::int64_t> v(std::size_t(n), 0);
    std::iota(v.begin(), v.end(), from);
    return v;
}

DistributedSampler sampler(std::int64_t n, std::int64_t batch, int world, int rank,
                           std::int64_t minPerRank = 1, std::uint64_t seed = 7)
{
    auto s
        = DistributedSampler::create(iota(n, 1000), {seed, batch, world, rank, true, minPerRank});
    if (!s)
        qFatal("%s", s.error().toString().c_str());
    return *s;
}

// Step k's samples over all ranks, concatenated in rank order.
std::vector<std::vector<std::int64_t>> stepsOverRanks(std::int64_t n, std::int64_t batch, int world,
                                                      std::int64_t epoch,
                                                      std::int64_t minPerRank = 1)
{
    std::vector<std::vector<std::int64_t>> steps;
    for (int r = 0; r < world; ++r) {
        const auto s = sampler(n, batch, world, r, minPerRank);
        const auto shard = s.shard(epoch);
        steps.resize(std::size_t(s.batchesPerEpoch()));
        std::int64_t at = 0;
        for (std::size_t k = 0; k < shard.batchSizes.size(); ++k) {
            const auto size = shard.batchSizes[k];
            steps[k].insert(steps[k].end(), shard.indices.begin() + at,
                            shard.indices.begin() + at + size);
            at += size;
        }
        if (at != std::int64_t(shard.indices.size()))
            qFatal("batch sizes do not add up to the shard");
    }
    return steps;
}

// The samples the remainder rule leaves for the next epoch with minPerRank 1: a last batch
// smaller than the world, unless it is the only one.
std::int64_t droppedTail(std::int64_t n, std::int64_t batch, int world)
{
    const std::int64_t last = n % batch;
    return n > batch && last > 0 && last < world ? last : 0;
}

} // namespace

class TestDistSampler : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everySampleOncePerEpoch_data()
    {
        QTest::addColumn<qint64>("n");
        QTest::addColumn<qint64>("batch");
        QTest::addColumn<int>("world");
        for (int world : {1, 2, 3, 4})
            for (qint64 n : {1000, 1001, 1003, 64 * 3 + 5})
                for (qint64 batch : {64, 10}) {
                    const auto name = QString("n=%1 B=%2 N=%3").arg(n).arg(batch).arg(world);
                    QTest::newRow(qPrintable(name)) << n << batch << world;
                }
    }
    void everySampleOncePerEpoch()
    {
        QFETCH(qint64, n);
        QFETCH(qint64, batch);
        QFETCH(int, world);
        for (std::int64_t epoch : {0, 3}) {
            std::map<std::int64_t, int> seen;
            for (const auto &step : stepsOverRanks(n, batch, world, epoch))
                for (auto i : step)
                    ++seen[i];
            QCOMPARE(std::int64_t(seen.size()), n - droppedTail(n, batch, world));
            for (const auto &[index, count] : seen) {
                QCOMPARE(count, 1);
                QVERIFY(index >= 1000 && index < 1000 + n);
            }
        }
    }

    void stepsDoNotDependOnWorldSize_data() { everySampleOncePerEpoch_data(); }
    void stepsDoNotDependOnWorldSize()
    {
        QFETCH(qint64, n);
        QFETCH(qint64, batch);
        QFETCH(int, world);
        const auto single = stepsOverRanks(n, batch, 1, 2);
        const auto many = stepsOverRanks(n, batch, world, 2);
        // In rank order, the ranks' parts of step k are exactly the single process's step k; a
        // last batch too small to give every rank a sample is the only difference.
        QCOMPARE(std::int64_t(single.size()), (n + batch - 1) / batch);
        const bool dropped = droppedTail(n, batch, world) > 0;
        QCOMPARE(many.size(), single.size() - (dropped ? 1 : 0));
        QCOMPARE(many, std::vector(single.begin(), single.begin() + std::ptrdiff_t(many.size())));
    }

    void partsAreAsEvenAsPossible()
    {
        // 10 samples over 4 ranks: 3, 3, 2, 2, contiguous, in rank order.
        std::int64_t next = 0;
        std::vector<std::int64_t> counts;
        for (int r = 0; r < 4; ++r) {
            const auto [first, count] = DistributedSampler::part(10, 4, r);
            QCOMPARE(first, next);
            next += count;
            counts.push_back(count);
        }
        QCOMPARE(counts, (std::vector<std::int64_t>{3, 3, 2, 2}));
    }

    void oneRankIsTheLoadersOrder()
    {
        // A dataset whose label is the sample's index: the loader's labels are its order.
        const std::int64_t n = 301;
        const auto labels = torch::arange(n, torch::kLong);
        auto indexed = std::make_shared<data::TensorDataset>(torch::zeros({n, 1, 2, 2}), labels,
                                                             std::vector<std::string>(n, "x"),
                                                             "indices as labels");
        const auto train = iota(150, 100);
        data::LoaderOptions options;
        options.batchSize = 32;
        options.seed = 42;
        options.prefetch = 0;
        auto loader = data::Loader::create(indexed, torch::tensor(train), options);
        QVERIFY(loader);
        auto s = DistributedSampler::create(train, {42, 32, 1, 0, true, 1});
        QVERIFY(s);
        QCOMPARE(s->batchesPerEpoch(), (*loader)->batchesPerEpoch());
        for (std::int64_t epoch : {0, 1, 5}) {
            (*loader)->startEpoch(epoch);
            std::vector<std::int64_t> fromLoader;
            std::vector<std::int64_t> sizes;
            while (true) {
                auto batch = (*loader)->next();
                QVERIFY(batch);
                if (!*batch)
                    break;
                const auto y = (**batch).y;
                sizes.push_back(y.size(0));
                fromLoader.insert(fromLoader.end(), y.data_ptr<std::int64_t>(),
                                  y.data_ptr<std::int64_t>() + y.numel());
            }
            const auto shard = s->shard(epoch);
            QCOMPARE(shard.indices, fromLoader);
            QCOMPARE(shard.batchSizes, sizes);
        }
    }

    void remainderRule_data()
    {
        QTest::addColumn<qint64>("n");
        QTest::addColumn<int>("world");
        QTest::addColumn<qint64>("batches");
        // B = 64, minPerRank = 2 (the trainer's): a last batch some rank would get < 2 of waits.
        QTest::newRow("N=1, last 1: dropped, as the trainer's dropLast")
            << qint64(129) << 1 << qint64(2);
        QTest::newRow("N=1, last 2: kept") << qint64(130) << 1 << qint64(3);
        QTest::newRow("N=2, last 3: rank 1 would get 1, dropped") << qint64(131) << 2 << qint64(2);
        QTest::newRow("N=2, last 4: 2 each, kept") << qint64(132) << 2 << qint64(3);
        QTest::newRow("N=4, last 7: dropped") << qint64(135) << 4 << qint64(2);
        QTest::newRow("N=4, last 8: kept") << qint64(136) << 4 << qint64(3);
        QTest::newRow("one short batch is kept") << qint64(5) << 2 << qint64(1);
    }
    void remainderRule()
    {
        QFETCH(qint64, n);
        QFETCH(int, world);
        QFETCH(qint64, batches);
        for (int r = 0; r < world; ++r) {
            const auto s = sampler(n, 64, world, r, 2);
            QCOMPARE(s.batchesPerEpoch(), batches);
            const auto shard = s.shard(0);
            QCOMPARE(std::int64_t(shard.batchSizes.size()), batches);
            if (batches > 1)
                for (auto size : shard.batchSizes)
                    QVERIFY(size >= 2);
        }
        // What is dropped is the tail of the epoch's order, nothing else.
        const auto steps = stepsOverRanks(n, 64, world, 0, 2);
        std::int64_t used = 0;
        for (const auto &step : steps)
            used += std::int64_t(step.size());
        const std::int64_t expected = batches * 64 < n ? batches * 64 : n;
        QCOMPARE(used, expected);
    }

    void refusesABatchTooSmallForTheWorkers()
    {
        auto s = DistributedSampler::create(iota(100), {0, 3, 2, 0, true, 2});
        QVERIFY(!s);
        QCOMPARE(s.error().context, std::string("training.batch_size"));
        QVERIFY2(s.error().message.find("3 samples split over 2 workers") != std::string::npos,
                 s.error().message.c_str());
    }

    void optionsFromTorchrunVariables()
    {
        std::map<std::string, std::string> env{{"WORLD_SIZE", "4"},
                                               {"RANK", "3"},
                                               {"LOCAL_RANK", "1"},
                                               {"MASTER_ADDR", "node0"},
                                               {"MASTER_PORT", "29511"}};
        const auto lookup = [&env](const char *name) -> const char * {
            auto it = env.find(name);
            return it == env.end() ? nullptr : it->second.c_str();
        };
        auto options = optionsFromEnvironment(lookup);
        QVERIFY(options && *options);
        QCOMPARE((*options)->worldSize, 4);
        QCOMPARE((*options)->rank, 3);
        QCOMPARE((*options)->localRank, 1);
        QCOMPARE((*options)->where(), std::string("node0:29511"));

        env["RANK"] = "4";
        options = optionsFromEnvironment(lookup);
        QVERIFY(!options);
        QCOMPARE(options.error().context, std::string("RANK"));
        env["RANK"] = "1";
        env["MASTER_PORT"] = "70000";
        options = optionsFromEnvironment(lookup);
        QVERIFY(!options);
        QCOMPARE(options.error().context, std::string("MASTER_PORT"));
        env.erase("RANK");
        options = optionsFromEnvironment(lookup);
        QVERIFY(!options);
        QVERIFY(options.error().message.find("RANK is not") != std::string::npos);
        env.clear();
        options = optionsFromEnvironment(lookup);
        QVERIFY(options && !*options); // not distributed
    }
};

LATHE_TEST_GUILESS_MAIN(TestDistSampler)
#include "tst_dist_sampler.moc"
