// Sharded evaluation against one process: a run trained data parallel over Gloo on loopback
// (the test process is rank 0, the other ranks this executable started again as workers,
// dist_test_support.h) evaluates its validation and test sets in parts, one per rank, and sums
// the parts' counts; what rank 0 records must be what one process evaluating the same weights on
// the whole sets records: the same sample count, the same correct count and confusion matrix, the
// same config metrics, the loss within kLossTolerance. The sets' sizes are not multiples of the
// world size, so the parts are uneven. Every rank gets the same sums.
#include "dist_test_support.h"

#include "../../tiny_run.h"

#include "core/dist/data_parallel_group.h"
#include "core/train/trainer.h"

#include <QtTest>
#include <torch/torch.h>

#include <fstream>

using namespace lathe;
using namespace lathe::dist;
using lathe::testing::freePort;
using lathe::testing::startWorker;

namespace {

// The parts' losses are summed in other batches and another order than one process's: float
// rounding, ~1e-7 here; a sample counted twice or missed moves the mean loss by ~1e-3.
constexpr double kLossTolerance = 1e-5;

// The tiny run (1001 training and test images: sets of odd sizes), one epoch, one thread; `arch`
// "mlp" or "cnn" (with batch norm, whose running statistics rank 0 sends before evaluating).
train::RunConfig evalConfig(const std::string &arch)
{
    auto config = arch == "mlp" ? lathe::testing::tinyConfig(1001, 1, "mlp", {64})
                                : lathe::testing::tinyConfig(1001, 1, "cnn", {8, 16});
    config.data.valFraction = 0.2; // 199 validation samples (1001 test)
    config.training.mixedPrecision = "off";
    config.training.threads = 1;
    config.metrics = {{"per-class-accuracy", {}}, {"macro-f1", {}}};
    return config;
}

// What a rank's trainer reported for each split ("val", "test").
struct Evals : train::TrainObserver
{
    std::map<std::string, train::EvalResult> results;
    void onEval(const train::EvalEvent &e) override { results[e.split] = e.result; }
};

std::string describe(const train::EvalResult &r)
{
    std::string out = std::to_string(r.samples) + " " + std::to_string(r.accuracy);
    for (const auto &row : r.confusion)
        for (auto count : row)
            out += " " + std::to_string(count);
    return out;
}

// Trains `config` for its epoch as one rank of `group` and returns its trainer (qFatal if not).
std::unique_ptr<train::Trainer> trainRank(const train::RunConfig &config,
                                          std::shared_ptr<DataParallelGroup> group, Evals &evals)
{
    auto data = train::loadTrainData(config.data);
    if (!data)
        qFatal("%s", data.error().toString().c_str());
    train::TrainerOptions options;
    options.dataParallel = std::move(group);
    auto trainer = train::Trainer::create(config, *data, options);
    if (!trainer)
        qFatal("%s", trainer.error().toString().c_str());
    (*trainer)->setObserver(&evals);
    if (auto outcome = (*trainer)->run(); !outcome)
        qFatal("%s", outcome.error().toString().c_str());
    return std::move(*trainer);
}

// A worker: rank RANK of the run, writing "split samples accuracy confusion..." lines and each
// split's loss to LATHE_DIST_OUT.
int evalWorker(const char * /*mode*/)
{
    const auto config = evalConfig(std::getenv("LATHE_DIST_ARCH"));
    auto group = DataParallelGroup::connect(lathe::testing::workerOptions(), config);
    if (!group) {
        std::fprintf(stderr, "%s\n", group.error().toString().c_str());
        return 3;
    }
    Evals evals;
    trainRank(config, *group, evals);
    std::ofstream out(std::getenv("LATHE_DIST_OUT"));
    out.precision(17);
    for (const auto &[split, result] : evals.results)
        out << split << " " << describe(result) << "\n" << result.loss << "\n";
    return 0;
}

// One process's evaluation of `weights` (a trained net's parameters and buffers) on the test set,
// or on the validation split when `withTest` is false (the data without its test set).
train::EvalResult singleProcess(const train::RunConfig &config, model::Net &weights, bool withTest)
{
    auto data = train::loadTrainData(config.data);
    if (!data)
        qFatal("%s", data.error().toString().c_str());
    if (!withTest)
        data->test = nullptr;
    auto trainer = train::Trainer::create(config, *data, {});
    if (!trainer)
        qFatal("%s", trainer.error().toString().c_str());
    {
        torch::NoGradGuard noGrad;
        auto to = (*trainer)->net()->named_parameters();
        for (const auto &p : weights->named_parameters())
            to[p.key()].copy_(p.value());
        auto buffers = (*trainer)->net()->named_buffers();
        for (const auto &b : weights->named_buffers())
            buffers[b.key()].copy_(b.value());
    }
    auto result = (*trainer)->evaluateTest();
    if (!result)
        qFatal("%s", result.error().toString().c_str());
    return *result;
}

} // namespace

class TestDistEval : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sameAsOneProcess_data()
    {
        QTest::addColumn<int>("world");
        QTest::addColumn<QString>("arch");
        QTest::newRow("N=2 mlp") << 2 << "mlp";
        QTest::newRow("N=2 cnn (batch norm)") << 2 << "cnn";
        QTest::newRow("N=3 mlp") << 3 << "mlp";
    }
    void sameAsOneProcess()
    {
        QFETCH(int, world);
        QFETCH(QString, arch);
        const auto config = evalConfig(arch.toStdString());
        QTemporaryDir dir;
        DistOptions options;
        options.worldSize = world;
        options.masterPort = freePort();
        options.timeout = std::chrono::milliseconds(30000);
        std::vector<QProcess *> workers;
        for (int r = 1; r < world; ++r) {
            QProcessEnvironment env;
            env.insert("LATHE_DIST_OUT", dir.filePath(QString("rank%1.txt").arg(r)));
            env.insert("LATHE_DIST_ARCH", arch);
            workers.push_back(startWorker(this, "eval", options, r, env));
        }
        auto group = DataParallelGroup::connect(options, config);
        QVERIFY2(group, group ? "" : group.error().toString().c_str());
        Evals evals;
        auto trainer = trainRank(config, *group, evals);
        for (auto *worker : workers) {
            QVERIFY(worker->waitForFinished(120000));
            QCOMPARE(worker->exitCode(), 0);
        }
        QCOMPARE(evals.results.size(), std::size_t(2));

        for (const bool test : {false, true}) {
            const auto &sharded = evals.results.at(test ? "test" : "val");
            const auto single = singleProcess(config, trainer->net(), test);
            // The parts are uneven: the set's size is not a multiple of the world size.
            QVERIFY2(single.samples % world != 0, qPrintable(QString::number(single.samples)));
            QCOMPARE(sharded.samples, single.samples);
            QCOMPARE(sharded.confusion, single.confusion); // so the same correct count
            QCOMPARE(sharded.accuracy, single.accuracy);
            const double gap = std::abs(sharded.loss - single.loss);
            qInfo("%s %s: %lld samples, accuracy %.4f, loss gap %.3g", QTest::currentDataTag(),
                  test ? "test" : "val", (long long)single.samples, single.accuracy, gap);
            QVERIFY2(gap < kLossTolerance, qPrintable(QString::number(gap)));
            QCOMPARE(sharded.extra.size(), single.extra.size());
            QVERIFY(!single.extra.empty());
            for (std::size_t i = 0; i < single.extra.size(); ++i) {
                QCOMPARE(sharded.extra[i].first, single.extra[i].first);
                QCOMPARE(sharded.extra[i].second, single.extra[i].second);
            }
        }
        // Every rank got the same sums as rank 0.
        for (int r = 1; r < world; ++r) {
            std::ifstream in(dir.filePath(QString("rank%1.txt").arg(r)).toStdString());
            for (const char *split : {"test", "val"}) {
                std::string line;
                std::getline(in, line);
                QCOMPARE(line, std::string(split) + " " + describe(evals.results.at(split)));
                double loss = 0.0;
                in >> loss;
                in.ignore();
                QCOMPARE(loss, evals.results.at(split).loss);
            }
        }
    }
};

LATHE_TEST_GUILESS_MAIN(TestDistEval)
LATHE_TEST_WORKER(evalWorker)

#include "tst_dist_eval.moc"
