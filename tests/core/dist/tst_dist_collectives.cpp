// c10d across real processes: rendezvous and its refusals (port in use, no master, world size
// and config mismatches, missing workers, a worker killed with SIGKILL) and the gradient
// reducer against single-process gradients. The test process is rank 0; the other ranks are
// this executable started again as workers (dist_test_support.h).
#include "dist_test_support.h"

#include "core/dist/gradient_reducer.h"
#include "core/dist/process_group.h"
#include "core/dist/sampler.h"
#include "core/train/data_parallel.h"
#include "core/util/clock.h"

#include <QtTest>
#include <torch/torch.h>

#include <csignal>

using namespace lathe;
using namespace lathe::dist;
using lathe::testing::localOptions;
using lathe::testing::startWorker;

namespace {

constexpr const char *kHash = "c0ffee0123456789";

// The small model of the reducer test: a 3-layer MLP, a branch only rank 1 uses and a parameter
// no rank uses (an unused parameter must neither hang nor get a gradient). Those two come first,
// so they sit in the last buckets: an incomplete bucket holds back the ones after it.
struct Model : torch::nn::Module
{
    torch::nn::Linear onlyRank1{6, 3}, never{6, 3}, a{6, 32}, b{32, 32}, c{32, 3};
    Model()
    {
        register_module("onlyRank1", onlyRank1);
        register_module("never", never);
        register_module("a", a);
        register_module("b", b);
        register_module("c", c);
    }
    torch::Tensor forward(const torch::Tensor &x, bool branch)
    {
        auto out = c(torch::tanh(b(torch::tanh(a(x)))));
        return branch ? out + onlyRank1(x) : out;
    }
};

constexpr std::int64_t kBatch = 9; // 5 + 4 over two ranks: uneven, as the remainder rule allows
constexpr int kMicroBatches = 2;

struct Data
{
    torch::Tensor x, y;
};

Data microBatch(int k)
{
    torch::manual_seed(100 + k);
    return {torch::randn({kBatch, 6}), torch::randint(0, 3, {kBatch}, torch::kLong)};
}

// The gradients of `world` ranks' share of kMicroBatches micro-batches, each rank's loss the sum
// over its samples divided by the global batch (the trainer's scaling), so that summed over ranks
// they are the single-process gradient. With world 1 and rank -1: the reference, in one
// process, with the branch applied to the samples rank 1 would hold.
std::vector<torch::Tensor> gradients(Model &model, int world, int rank, GradientReducer *reducer)
{
    for (int k = 0; k < kMicroBatches; ++k) {
        const auto data = microBatch(k);
        torch::Tensor loss;
        if (rank < 0) {
            const auto [first1, count1] = DistributedSampler::part(kBatch, 2, 1);
            auto out = model.forward(data.x, false);
            out = out
                  + torch::cat({torch::zeros({first1, 3}),
                                model.onlyRank1(data.x.narrow(0, first1, count1))});
            loss = torch::nn::functional::cross_entropy(
                       out, data.y,
                       torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                   / double(kBatch * kMicroBatches);
        } else {
            const auto [first, count] = DistributedSampler::part(kBatch, world, rank);
            const auto out = model.forward(data.x.narrow(0, first, count), rank == 1);
            loss = torch::nn::functional::cross_entropy(out, data.y.narrow(0, first, count))
                   * (double(count) / double(kBatch * kMicroBatches));
        }
        if (reducer)
            reducer->prepare(k == kMicroBatches - 1);
        loss.backward();
    }
    if (reducer)
        if (auto ok = reducer->finish(); !ok)
            qFatal("%s", ok.error().toString().c_str());
    std::vector<torch::Tensor> grads;
    for (const auto &p : model.parameters())
        grads.push_back(p.grad().defined() ? p.grad().clone() : torch::empty({0}));
    return grads;
}

ReducerOptions smallBuckets()
{
    ReducerOptions options;
    options.bucketBytes = 2048; // several buckets for a 2k-parameter model
    return options;
}

// Worker modes (LATHE_TEST_WORKER). Exit 0 on success, 3 with the error on stderr.
int collectivesWorker(const char *modeName)
{
    const std::string mode = modeName;
    auto options = lathe::testing::workerOptions();
    const std::string hash
        = std::getenv("LATHE_DIST_HASH") ? std::getenv("LATHE_DIST_HASH") : kHash;
    auto group = ProcessGroup::connect(options, hash);
    if (!group) {
        std::fprintf(stderr, "%s\n", group.error().toString().c_str());
        return 3;
    }
    if (mode == "killed") {
        std::raise(SIGKILL); // as kill -9, right after joining
    } else if (mode == "sum") {
        auto t = torch::full({1000}, float(options.rank + 1));
        auto ok = (*group)->allreduceSum(t);
        auto gathered = (*group)->allgather(torch::tensor({double(options.rank)}));
        if (!ok || !gathered) {
            std::fprintf(stderr, "%s\n", (ok ? gathered.error() : ok.error()).toString().c_str());
            return 3;
        }
    } else if (mode == "grads") {
        torch::manual_seed(options.rank); // different initial weights: the reducer broadcasts
        Model model;
        auto reducer = GradientReducer::create(**group, model.parameters(), smallBuckets());
        if (!reducer) {
            std::fprintf(stderr, "%s\n", reducer.error().toString().c_str());
            return 3;
        }
        auto grads = gradients(model, options.worldSize, options.rank, reducer->get());
        grads.push_back(torch::tensor({double((*reducer)->lastStep().bucketsInBackward),
                                       double((*reducer)->bucketLayout().size())}));
        torch::save(grads, std::getenv("LATHE_DIST_OUT"));
    }
    return 0;
}

} // namespace

class TestDistCollectives : public QObject
{
    Q_OBJECT

    // Waits for `worker` and returns its exit code (-1 when it was killed).
    static int finished(QProcess *worker, QByteArray *err = nullptr)
    {
        if (!worker->waitForFinished(60000))
            qFatal("a worker did not finish within 60 s");
        if (err)
            *err = worker->readAllStandardError();
        return worker->exitStatus() == QProcess::CrashExit ? -1 : worker->exitCode();
    }

private Q_SLOTS:
    void twoRanksSum()
    {
        auto options = localOptions(3, 0);
        auto w1 = startWorker(this, "sum", options, 1);
        auto w2 = startWorker(this, "sum", options, 2);
        auto group = ProcessGroup::connect(options, kHash);
        QVERIFY2(group, group ? "" : group.error().toString().c_str());
        auto t = torch::full({1000}, 1.0f);
        QVERIFY((*group)->allreduceSum(t));
        QCOMPARE(t.min().item<float>(), 6.0f);
        QCOMPARE(t.max().item<float>(), 6.0f);
        auto gathered = (*group)->allgather(torch::tensor({7.0}));
        QVERIFY2(gathered, gathered ? "" : gathered.error().toString().c_str());
        QCOMPARE(int(gathered->size()), 3);
        for (int r = 0; r < 3; ++r)
            QCOMPARE((*gathered)[std::size_t(r)].item<double>(), r == 0 ? 7.0 : double(r));
        QCOMPARE(finished(w1), 0);
        QCOMPARE(finished(w2), 0);
    }

    void portInUse()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_ANY);
        addr.sin_port = 0;
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
        QCOMPARE(::listen(fd, 1), 0);
        socklen_t length = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &length);
        auto options = localOptions(2, 0, 3000);
        options.masterPort = ntohs(addr.sin_port);
        auto group = ProcessGroup::connect(options, kHash);
        ::close(fd);
        QVERIFY(!group);
        const auto message = group.error().toString();
        QVERIFY2(message.find("port " + std::to_string(options.masterPort) + ": it is in use")
                     != std::string::npos,
                 message.c_str());
    }

    void masterUnreachable()
    {
        auto options = localOptions(2, 1, 1500);
        const double start = util::monotonicNow();
        auto group = ProcessGroup::connect(options, kHash);
        QVERIFY(!group);
        QVERIFY(util::monotonicNow() - start < 15.0);
        const auto message = group.error().toString();
        QVERIFY2(message.find("could not reach the master at 127.0.0.1:"
                              + std::to_string(options.masterPort) + " within 1.5 s")
                     != std::string::npos,
                 message.c_str());
    }

    // NCCL exists only in a build against a LibTorch with CUDA: without it a CUDA data-parallel
    // run is refused at once, before any rank waits for the others (rank 1 of 2, no master).
    void ncclRefusedWithoutIt()
    {
        if (ncclBuilt())
            QSKIP("this build has the NCCL backend");
        auto options = localOptions(2, 1, 30000);
        const double start = util::monotonicNow();
        auto group = ProcessGroup::connect(options, kHash, Backend::Nccl);
        QVERIFY(!group);
        QVERIFY(util::monotonicNow() - start < 5.0);
        QCOMPARE(group.error().context, std::string("training.device"));
        QVERIFY2(group.error().message.find("needs c10d's NCCL backend") != std::string::npos,
                 group.error().message.c_str());
    }

    void mismatchedWorldSize()
    {
        auto options = localOptions(2, 0);
        auto wrong = options;
        wrong.worldSize = 3;
        auto worker = startWorker(this, "sum", wrong, 1);
        auto group = ProcessGroup::connect(options, kHash);
        QVERIFY(!group);
        const std::string expected = "rank 1 was started with world size 3 but rank 0 with 2";
        QVERIFY2(group.error().message == expected, group.error().message.c_str());
        QByteArray err;
        QCOMPARE(finished(worker, &err), 3);
        QVERIFY2(err.contains(expected.c_str()), err.constData());
    }

    void mismatchedConfig()
    {
        auto options = localOptions(2, 0);
        QProcessEnvironment env;
        env.insert("LATHE_DIST_HASH", "ffff0000ffff0000");
        auto worker = startWorker(this, "sum", options, 1, env);
        auto group = ProcessGroup::connect(options, kHash);
        QVERIFY(!group);
        QVERIFY2(group.error().message.find("rank 1 trains a different config than rank 0")
                     != std::string::npos,
                 group.error().message.c_str());
        QByteArray err;
        QCOMPARE(finished(worker, &err), 3);
        QVERIFY2(err.contains("trains a different config"), err.constData());
    }

    void missingWorkers()
    {
        auto options = localOptions(3, 0, 5000); // long enough for rank 1 to start
        auto worker = startWorker(this, "sum", options, 1);
        auto group = ProcessGroup::connect(options, kHash);
        QVERIFY(!group);
        QVERIFY2(group.error().message
                     == "1 of 2 workers did not join within 5 s (missing ranks: 2)",
                 group.error().message.c_str());
        QCOMPARE(finished(worker), 3);
    }

    void killedWorkerStopsTheOthers()
    {
        auto options = localOptions(2, 0, 10000);
        auto worker = startWorker(this, "killed", options, 1);
        auto group = ProcessGroup::connect(options, kHash);
        QVERIFY2(group, group ? "" : group.error().toString().c_str());
        QCOMPARE(finished(worker), -1);
        const double start = util::monotonicNow();
        auto ok = (*group)->allreduceSum(torch::ones({1000}));
        QVERIFY(!ok);
        QVERIFY(util::monotonicNow() - start < 10.5); // at most the timeout
        const std::string expected
            = "all-reduce failed on rank 0 of 127.0.0.1:" + std::to_string(options.masterPort)
              + ": another worker stopped";
        QVERIFY2(ok.error().message.find(expected) != std::string::npos,
                 ok.error().message.c_str());
        // What RunRecorder takes for a lost worker: the run is interrupted, not failed.
        QCOMPARE(ok.error().context, std::string(train::kLostWorkerContext));
    }

    void reducerMatchesOneProcess()
    {
        torch::manual_seed(0);
        Model reference;
        const auto expected = gradients(reference, 1, -1, nullptr);

        QTemporaryDir dir;
        auto options = localOptions(2, 0);
        QProcessEnvironment env;
        env.insert("LATHE_DIST_OUT", dir.filePath("rank1.pt"));
        auto worker = startWorker(this, "grads", options, 1, env);
        auto group = ProcessGroup::connect(options, kHash);
        QVERIFY2(group, group ? "" : group.error().toString().c_str());
        torch::manual_seed(0); // the reference's weights; rank 1's differ until the broadcast
        Model model;
        auto reducer = GradientReducer::create(**group, model.parameters(), smallBuckets());
        QVERIFY(reducer);
        const auto mine = gradients(model, 2, 0, reducer->get());
        QCOMPARE(finished(worker), 0);
        std::vector<torch::Tensor> theirs;
        torch::load(theirs, dir.filePath("rank1.pt").toStdString());
        const auto counts = theirs.back();
        theirs.pop_back();

        QCOMPARE(mine.size(), expected.size());
        QCOMPARE(theirs.size(), expected.size());
        const auto names = model.named_parameters().keys();
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const auto &name = names[i];
            if (name.rfind("never.", 0) == 0) {
                // No rank used it: no gradient, as in one process.
                QCOMPARE(expected[i].numel(), 0);
                QCOMPARE(mine[i].numel(), 0);
                QCOMPARE(theirs[i].numel(), 0);
                continue;
            }
            QVERIFY2(mine[i].numel() > 0, name.c_str()); // onlyRank1: rank 0 gets rank 1's
            const double gap = (mine[i] - expected[i]).abs().max().item<double>();
            QVERIFY2(gap < 1e-6, qPrintable(QString("%1: %2").arg(name.c_str()).arg(gap)));
            QVERIFY2(torch::equal(mine[i], theirs[i]), name.c_str()); // bitwise equal on ranks
        }
        // Several buckets, some launched from the hooks during backward (the overlap).
        QVERIFY((*reducer)->bucketLayout().size() >= 3);
        QVERIFY((*reducer)->lastStep().bucketsInBackward >= 1);
        QCOMPARE(counts[1].item<double>(), double((*reducer)->bucketLayout().size()));
        QVERIFY((*reducer)->lastStep().commSeconds >= (*reducer)->lastStep().waitSeconds);
    }
};

LATHE_TEST_GUILESS_MAIN(TestDistCollectives)
LATHE_TEST_WORKER(collectivesWorker)

#include "tst_dist_collectives.moc"
