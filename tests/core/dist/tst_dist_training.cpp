// Data-parallel training against one process: the tiny run (tests/tiny_run.h) as an MLP with
// 2 and 4 real worker processes over Gloo on loopback, at the same global batch, gives the same
// loss curve and final weights within kTolerance; a worker killed with SIGKILL ends the others'
// training with a clear error; a run stopped after kStopAt steps at N = 2 and resumed at N = 1 or
// N = 4 gives one process's curve and weights within kTolerance too; a run paused on rank 0 waits
// on both ranks after the same step and resumes to one process's weights. The test process is rank
// 0; the other ranks are this executable started again as workers (dist_test_support.h).
#include "dist_test_support.h"

#include "../../tiny_run.h"

#include "core/dist/data_parallel_group.h"
#include "core/train/run_job.h"
#include "core/train/trainer.h"
#include "core/util/clock.h"

#include <QtTest>
#include <torch/torch.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <thread>

using namespace lathe;
using namespace lathe::dist;
using lathe::testing::localOptions;
using lathe::testing::startWorker;

namespace {

constexpr std::int64_t kSteps = 12;
constexpr std::int64_t kStopAt = 5; // the stopped run's last step before it is resumed
// Summing N ranks' gradients reorders float additions: over these 12 steps the curves and weights
// measured differ by ~1e-7 (N = 2 and 4). 1e-5 leaves room for other thread counts and builds,
// while a wrong shard, loss scale or reduction shows as 1e-3 or more (SGD is the row that sees a
// wrong scale: Adam's update hardly depends on the gradient's scale).
constexpr double kTolerance = 1e-5;

// The tiny run as an MLP, exactly reproducible: no batch norm (per-rank statistics would differ
// from the global batch's), no dropout and no augmentation (their draws depend on the batch a
// rank holds), fp32, one thread. `optimizer` adamw keeps the fused AdamW step on.
train::RunConfig exactConfig(const std::string &optimizer)
{
    auto config = lathe::testing::tinyConfig(1000, 1, "mlp", {64});
    config.model.dropout = 0.0;
    config.augment.enabled = false;
    config.training.mixedPrecision = "off";
    config.training.threads = 1;
    config.training.batchSize = 50; // 950 training samples: 19 steps, 25 per rank with N = 2
    config.training.gradClip = 1.0;
    config.optimizer.name = optimizer;
    if (optimizer == "sgd")
        config.optimizer.lr = 0.05;
    return config;
}

// The optimizer a worker trains with (LATHE_DIST_OPTIMIZER, default adamw).
std::string workerOptimizer()
{
    const char *name = std::getenv("LATHE_DIST_OPTIMIZER");
    return name ? name : "adamw";
}

struct Curve : train::TrainObserver
{
    std::vector<double> losses;
    std::vector<double> waits;
    void onStep(const train::StepEvent &e) override
    {
        losses.push_back(e.loss);
        if (e.dist)
            waits.push_back(e.dist->waitSeconds);
    }
};

// The steps at which the trainer said it paused and resumed, and the seconds it waited.
struct Pauses : train::TrainObserver
{
    std::vector<std::int64_t> paused, resumed;
    double pausedAt = 0.0, seconds = 0.0;
    void onNote(const train::NoteEvent &e) override
    {
        if (e.kind == "paused") {
            paused.push_back(e.step);
            pausedAt = util::monotonicNow();
        } else if (e.kind == "resumed") {
            resumed.push_back(e.step);
            seconds += util::monotonicNow() - pausedAt;
        }
    }
};

// Kills this process (as kill -9) when the step count reaches `at`.
struct KillAt : train::TrainObserver
{
    std::int64_t at = 0;
    void onStep(const train::StepEvent &e) override
    {
        if (e.step == at)
            std::raise(SIGKILL);
    }
};

// Trains exactConfig() for kSteps as one process (group null) or one rank; `observer` may be
// null; `created`, when given, is called with the trainer before it runs. Returns the outcome
// and the trained weights, flattened.
std::pair<Result<train::TrainOutcome>, torch::Tensor>
trainTiny(const train::RunConfig &config, std::shared_ptr<DataParallelGroup> group,
          train::TrainObserver *observer, const std::function<void(train::Trainer &)> &created = {})
{
    auto data = train::loadTrainData(config.data);
    if (!data)
        qFatal("%s", data.error().toString().c_str());
    train::TrainerOptions options;
    const char *limit = std::getenv("LATHE_DIST_MAX_STEPS");
    options.maxSteps = limit ? std::stoll(limit) : kSteps;
    // The test set's evaluation is a collective (sharded): on where rank 0 trains through RunJob.
    options.evaluateTest = std::getenv("LATHE_DIST_EVALUATE_TEST") != nullptr;
    options.dataParallel = std::move(group);
    auto trainer = train::Trainer::create(config, *data, options);
    if (!trainer)
        return {std::unexpected(trainer.error()), {}};
    if (observer)
        (*trainer)->setObserver(observer);
    if (created)
        created(**trainer);
    auto outcome = (*trainer)->run();
    std::vector<torch::Tensor> flat;
    for (const auto &p : (*trainer)->net()->parameters())
        flat.push_back(p.detach().reshape(-1));
    return {outcome, torch::cat(flat)};
}

int trainingWorker(const char *modeName)
{
    const std::string mode = modeName;
    const auto config = exactConfig(workerOptimizer());
    auto group = DataParallelGroup::connect(lathe::testing::workerOptions(), config);
    if (!group) {
        std::fprintf(stderr, "%s\n", group.error().toString().c_str());
        return 3;
    }
    if (mode == "resume") { // resumes run "dp" of LATHE_DIST_DB beside rank 0
        train::RunJobOptions options{std::getenv("LATHE_DIST_DB"), "", kSteps, {}, *group};
        auto trainer = train::RunJob::resumeTrainer("dp", options);
        auto outcome = trainer ? (*trainer)->run()
                               : Result<train::TrainOutcome>(std::unexpected(trainer.error()));
        if (!outcome) {
            std::fprintf(stderr, "%s\n", outcome.error().toString().c_str());
            return 4;
        }
        return 0;
    }
    KillAt kill;
    if (mode == "killed")
        kill.at = 3;
    Pauses pauses;
    train::TrainObserver *observer
        = mode == "killed" ? static_cast<train::TrainObserver *>(&kill) : &pauses;
    auto [outcome, weights] = trainTiny(config, *group, observer);
    if (!outcome) {
        std::fprintf(stderr, "%s\n", outcome.error().toString().c_str());
        return 4;
    }
    if (const char *notes = std::getenv("LATHE_DIST_NOTES")) // "paused 6 resumed 6 1.5"
        std::ofstream(notes) << "paused " << (pauses.paused.empty() ? -1 : pauses.paused[0])
                             << " resumed " << (pauses.resumed.empty() ? -1 : pauses.resumed[0])
                             << " " << pauses.seconds << " " << pauses.paused.size() << "\n";
    if (const char *out = std::getenv("LATHE_DIST_OUT"))
        torch::save(weights, out);
    return 0;
}

} // namespace

class TestDistTraining : public QObject
{
    Q_OBJECT

    std::map<std::string, std::pair<std::vector<double>, torch::Tensor>> m_single;

    static int finished(QProcess *worker)
    {
        if (!worker->waitForFinished(120000))
            qFatal("a worker did not finish within 120 s");
        if (worker->exitStatus() == QProcess::CrashExit)
            return -1;
        if (worker->exitCode() != 0)
            qWarning("worker: %s", worker->readAllStandardError().constData());
        return worker->exitCode();
    }

private Q_SLOTS:
    void initTestCase()
    {
        for (const std::string optimizer : {"adamw", "sgd"}) {
            Curve curve;
            auto [outcome, weights] = trainTiny(exactConfig(optimizer), nullptr, &curve);
            QVERIFY2(outcome, outcome ? "" : outcome.error().toString().c_str());
            QCOMPARE(std::int64_t(curve.losses.size()), kSteps);
            m_single[optimizer] = {curve.losses, weights};
        }
    }

    void sameCurveAndWeightsAsOneProcess_data()
    {
        QTest::addColumn<int>("world");
        QTest::addColumn<QString>("optimizer");
        QTest::newRow("N=2 adamw (fused)") << 2 << "adamw";
        QTest::newRow("N=2 sgd") << 2 << "sgd";
        QTest::newRow("N=4 adamw (fused)") << 4 << "adamw";
    }
    void sameCurveAndWeightsAsOneProcess()
    {
        QFETCH(int, world);
        QFETCH(QString, optimizer);
        const auto config = exactConfig(optimizer.toStdString());
        QTemporaryDir dir;
        const auto options = localOptions(world, 0, 30000);
        std::vector<QProcess *> workers;
        for (int r = 1; r < world; ++r) {
            QProcessEnvironment env;
            env.insert("LATHE_DIST_OUT", dir.filePath(QString("rank%1.pt").arg(r)));
            env.insert("LATHE_DIST_OPTIMIZER", optimizer);
            workers.push_back(startWorker(this, "train", options, r, env));
        }
        auto group = DataParallelGroup::connect(options, config);
        QVERIFY2(group, group ? "" : group.error().toString().c_str());
        Curve curve;
        auto [outcome, weights] = trainTiny(config, *group, &curve);
        QVERIFY2(outcome, outcome ? "" : outcome.error().toString().c_str());
        for (auto *worker : workers)
            QCOMPARE(finished(worker), 0);

        const auto &[losses, single] = m_single[optimizer.toStdString()];
        QCOMPARE(curve.losses.size(), losses.size());
        double worst = 0.0;
        for (std::size_t i = 0; i < losses.size(); ++i)
            worst = std::max(worst, std::abs(curve.losses[i] - losses[i]));
        const double weightGap = (weights - single).abs().max().template item<double>();
        qInfo("%s: largest loss difference %.3g, weight difference %.3g over %lld steps; "
              "mean unhidden reduction wait %.3g ms",
              QTest::currentDataTag(), worst, weightGap, (long long)kSteps,
              1e3 * std::accumulate(curve.waits.begin(), curve.waits.end(), 0.0)
                  / double(std::max<std::size_t>(curve.waits.size(), 1)));
        QVERIFY2(worst < kTolerance, qPrintable(QString::number(worst)));
        QVERIFY2(weightGap < kTolerance, qPrintable(QString::number(weightGap)));
        QCOMPARE(std::int64_t(curve.waits.size()), kSteps);
        // Every rank ends with rank 0's weights, bit for bit.
        for (int r = 1; r < world; ++r) {
            torch::Tensor theirs;
            torch::load(theirs, dir.filePath(QString("rank%1.pt").arg(r)).toStdString());
            QVERIFY(torch::equal(theirs, weights));
        }
    }

    // A run stopped after kStopAt steps at N = 2, resumed at N = `world` (1: a plain resume in
    // this process; 4: every rank restores the checkpoint): the sampler's state is global (epoch
    // and global batch), so the whole curve and the final weights are one process's.
    void resumeAtAnotherWorldSize_data()
    {
        QTest::addColumn<int>("world");
        QTest::newRow("N=2, resumed at N=1") << 1;
        QTest::newRow("N=2, resumed at N=4") << 4;
    }
    void resumeAtAnotherWorldSize()
    {
        QFETCH(int, world);
        const auto config = exactConfig("adamw");
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.filePath("lathe.db").toStdString());
        Curve curve;
        {
            const auto options = localOptions(2, 0, 30000);
            QProcessEnvironment env;
            env.insert("LATHE_DIST_MAX_STEPS", QString::number(kStopAt));
            env.insert("LATHE_DIST_EVALUATE_TEST", "1"); // as rank 0's RunJob does
            auto *worker = startWorker(this, "train", options, 1, env);
            auto group = DataParallelGroup::connect(options, config);
            QVERIFY2(group, group ? "" : group.error().toString().c_str());
            auto job = train::RunJob::createNew(config, {db, "dp", kStopAt, {}, *group});
            QVERIFY2(job, job ? "" : job.error().toString().c_str());
            (*job)->setObserver(&curve);
            auto outcome = (*job)->run();
            QVERIFY2(outcome, outcome ? "" : outcome.error().toString().c_str());
            QCOMPARE(finished(worker), 0);
        }
        QCOMPARE(std::int64_t(curve.losses.size()), kStopAt);
        std::shared_ptr<DataParallelGroup> group;
        std::vector<QProcess *> workers;
        if (world > 1) {
            const auto options = localOptions(world, 0, 30000);
            QProcessEnvironment env;
            env.insert("LATHE_DIST_DB", dir.filePath("lathe.db"));
            for (int r = 1; r < world; ++r)
                workers.push_back(startWorker(this, "resume", options, r, env));
            auto connected = DataParallelGroup::connect(options, config);
            QVERIFY2(connected, connected ? "" : connected.error().toString().c_str());
            group = *connected;
        }
        auto job = train::RunJob::resumeExisting("dp", {db, "", kSteps, {}, group});
        QVERIFY2(job, job ? "" : job.error().toString().c_str());
        QCOMPARE((*job)->trainer().state().step, kStopAt);
        (*job)->setObserver(&curve);
        auto outcome = (*job)->run();
        QVERIFY2(outcome, outcome ? "" : outcome.error().toString().c_str());
        for (auto *worker : workers)
            QCOMPARE(finished(worker), 0);

        const auto &[losses, single] = m_single["adamw"];
        QCOMPARE(curve.losses.size(), losses.size());
        double worst = 0.0;
        for (std::size_t i = 0; i < losses.size(); ++i)
            worst = std::max(worst, std::abs(curve.losses[i] - losses[i]));
        std::vector<torch::Tensor> flat;
        for (const auto &p : (*job)->trainer().net()->parameters())
            flat.push_back(p.detach().reshape(-1));
        const double weightGap = (torch::cat(flat) - single).abs().max().item<double>();
        qInfo("%s: largest loss difference %.3g, weight difference %.3g", QTest::currentDataTag(),
              worst, weightGap);
        QVERIFY2(worst < kTolerance, qPrintable(QString::number(worst)));
        QVERIFY2(weightGap < kTolerance, qPrintable(QString::number(weightGap)));
        // The run's params say which world resumed it (absent: one process).
        auto store = track::RunStore::open(db);
        QVERIFY(store);
        auto params = (*store)->params((*job)->runId());
        QVERIFY(params);
        std::string recorded = "absent";
        for (const auto &[key, value] : *params)
            if (key == "dist.world_size")
                recorded = value;
        QCOMPARE(recorded, world == 1 ? std::string("absent") : std::to_string(world));
    }

    // Rank 0 is paused from its observer after step kStopAt (on the training thread, as a click
    // would from another) and resumed 1.5 s later from another thread: the pause travels with the
    // next step's exchange, both ranks wait after that same step, and the run ends with one
    // process's weights, rank 1's bit for bit rank 0's.
    void pauseWaitsOnEveryRank()
    {
        const auto config = exactConfig("adamw");
        QTemporaryDir dir;
        const auto options = localOptions(2, 0, 30000);
        QProcessEnvironment env;
        env.insert("LATHE_DIST_OUT", dir.filePath("rank1.pt"));
        env.insert("LATHE_DIST_NOTES", dir.filePath("notes.txt"));
        auto *worker = startWorker(this, "train", options, 1, env);
        auto group = DataParallelGroup::connect(options, config);
        QVERIFY2(group, group ? "" : group.error().toString().c_str());
        struct PauseAt : Pauses
        {
            train::Trainer *trainer = nullptr;
            std::jthread resumer;
            void onStep(const train::StepEvent &e) override
            {
                if (e.step != kStopAt)
                    return;
                trainer->pause();
                resumer = std::jthread([this] {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
                    trainer->resume();
                });
            }
        } pauses;
        auto [outcome, weights]
            = trainTiny(config, *group, &pauses, [&](train::Trainer &t) { pauses.trainer = &t; });
        QVERIFY2(outcome, outcome ? "" : outcome.error().toString().c_str());
        QCOMPARE(finished(worker), 0);
        // Rank 0 was asked after step kStopAt; the ranks agreed at step kStopAt + 1's exchange.
        QCOMPARE(pauses.paused, std::vector<std::int64_t>{kStopAt + 1});
        QCOMPARE(pauses.resumed, std::vector<std::int64_t>{kStopAt + 1});
        std::ifstream notes(dir.filePath("notes.txt").toStdString());
        std::string word;
        std::int64_t paused = 0, resumed = 0, count = 0;
        double seconds = 0.0;
        notes >> word >> paused >> word >> resumed >> seconds >> count;
        qInfo("rank 0 waited %.2f s, rank 1 %.2f s, both after step %lld", pauses.seconds, seconds,
              (long long)paused);
        QCOMPARE(paused, kStopAt + 1);
        QCOMPARE(resumed, kStopAt + 1);
        QCOMPARE(count, std::int64_t(1));
        QVERIFY2(seconds > 1.0, qPrintable(QString::number(seconds))); // rank 1 waited too
        const auto &single = m_single["adamw"].second;
        const double weightGap = (weights - single).abs().max().item<double>();
        QVERIFY2(weightGap < kTolerance, qPrintable(QString::number(weightGap)));
        torch::Tensor theirs;
        torch::load(theirs, dir.filePath("rank1.pt").toStdString());
        QVERIFY(torch::equal(theirs, weights));
    }

    // Rank 1 dies (SIGKILL) after step 3: rank 0's run ends within the timeout with a message
    // saying so, marked interrupted in the store (resumable), not failed.
    void killedWorkerEndsTheRun()
    {
        const auto config = exactConfig("adamw");
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.filePath("lathe.db").toStdString());
        const auto options = localOptions(2, 0, 20000);
        auto worker = startWorker(this, "killed", options, 1);
        auto group = DataParallelGroup::connect(options, config);
        QVERIFY2(group, group ? "" : group.error().toString().c_str());
        auto job = train::RunJob::createNew(config, {db, "dp", kSteps, {}, *group});
        QVERIFY2(job, job ? "" : job.error().toString().c_str());
        const double start = util::monotonicNow();
        auto outcome = (*job)->run();
        QVERIFY(!outcome);
        QVERIFY(util::monotonicNow() - start < 20.0);
        QCOMPARE(finished(worker), -1);
        QCOMPARE(outcome.error().code, ErrorCode::Training);
        QVERIFY2(outcome.error().message.find("another worker stopped") != std::string::npos,
                 outcome.error().message.c_str());
        auto store = track::RunStore::open(db);
        QVERIFY(store);
        auto run = (*store)->run((*job)->runId());
        QVERIFY(run);
        QVERIFY(run->status == track::RunStatus::Interrupted);
        QVERIFY2(run->errorMessage.find("another worker stopped") != std::string::npos,
                 run->errorMessage.c_str());
    }
};

LATHE_TEST_GUILESS_MAIN(TestDistTraining)
LATHE_TEST_WORKER(trainingWorker)

#include "tst_dist_training.moc"
