#include "core/model/zoo.h"
#include "core/privacy/dp_sgd.h"
#include "core/privacy/rdp_accountant.h"
#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/train/run_job.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <set>

using namespace lathe;
using privacy::DpSgd;
using privacy::DpSgdSettings;

namespace {

DpSgdSettings settings(double q, double expected, double noise, double clip)
{
    DpSgdSettings s;
    s.sampleRate = q;
    s.expectedBatch = expected;
    s.noiseMultiplier = noise;
    s.maxGradNorm = clip;
    s.delta = 1e-5;
    s.orders = privacy::defaultOrders();
    return s;
}

model::Net smallNet()
{
    model::ModelSpec spec;
    spec.arch = "mlp";
    spec.widths = {16};
    auto net = model::buildNet(spec, {1, 6, 6}, 4);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    (*net)->to(torch::kDouble);
    return *net;
}

/// Each example's gradient, one backward each.
std::vector<std::vector<torch::Tensor>> loopGradients(model::Net &net, const torch::Tensor &x,
                                                      const torch::Tensor &y)
{
    std::vector<std::vector<torch::Tensor>> out;
    for (std::int64_t i = 0; i < x.size(0); ++i) {
        net->zero_grad();
        torch::nn::functional::cross_entropy(net->forward(x.narrow(0, i, 1)), y.narrow(0, i, 1))
            .backward();
        std::vector<torch::Tensor> grads;
        for (const auto &p : net->parameters())
            grads.push_back(p.grad().clone());
        out.push_back(grads);
    }
    return out;
}

train::RunConfig privateConfig()
{
    auto config = testing::tinyConfig(600, 2, "cnn-tanh", {});
    config.data.valFraction = 0.1; // 540 training examples
    config.training.batchSize = 60;
    config.optimizer.name = "sgd";
    config.optimizer.lr = 0.5;
    config.privacy.enabled = true;
    config.privacy.targetEpsilon = 4.0;
    config.privacy.maxGradNorm = 1.0;
    config.privacy.physicalBatchSize = 16;
    return config;
}

std::size_t runCount(const std::filesystem::path &db)
{
    auto store = track::RunStore::open(db);
    if (!store)
        qFatal("%s", store.error().toString().c_str());
    return (*store)->listRuns({})->size();
}

// DP-SGD whose chosen steps of every epoch draw no example, as Poisson sampling sometimes does.
class EmptyStepsDpSgd : public DpSgd
{
public:
    EmptyStepsDpSgd(DpSgdSettings settings, std::set<std::size_t> empty)
        : DpSgd(std::move(settings))
        , m_empty(std::move(empty))
    {
    }
    std::vector<std::vector<std::int64_t>> sampleEpoch(const std::vector<std::int64_t> &train,
                                                       std::uint64_t seed, std::int64_t epoch,
                                                       std::int64_t steps) const override
    {
        auto batches = DpSgd::sampleEpoch(train, seed, epoch, steps);
        for (std::size_t i : m_empty)
            batches.at(i).clear();
        return batches;
    }

private:
    std::set<std::size_t> m_empty;
};

// Installs EmptyStepsDpSgd as the trainer's factory; DpSgd's again when it goes.
struct EmptyStepsInstalled
{
    explicit EmptyStepsInstalled(std::set<std::size_t> empty)
    {
        train::setPrivateTrainingFactory(
            [empty](const train::RunConfig &config, std::int64_t trainSamples,
                    std::int64_t totalSteps) -> Result<std::shared_ptr<train::PrivateTraining>> {
                auto s = privacy::resolvePrivacy(config, trainSamples, totalSteps);
                if (!s)
                    return std::unexpected(s.error());
                return std::make_shared<EmptyStepsDpSgd>(std::move(*s), empty);
            });
    }
    ~EmptyStepsInstalled() { privacy::installDpSgd(); }
};

} // namespace

class TestDpSgd : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { privacy::installDpSgd(); }

    void defaultDeltaIsOneOverNRoundedDown()
    {
        QCOMPARE(privacy::defaultDelta(60000), 1e-5);
        QCOMPARE(privacy::defaultDelta(54000), 1e-5);
        QCOMPARE(privacy::defaultDelta(100000), 1e-5);
        QCOMPARE(privacy::defaultDelta(100001), 1e-6);
        QCOMPARE(privacy::defaultDelta(540), 1e-3);
    }

    // Without noise the step is the mean over the expected batch of each example's gradient
    // scaled to norm at most C: checked against one backward per example.
    void clipsEachExampleThenAverages()
    {
        torch::manual_seed(4);
        auto net = smallNet();
        const auto x = torch::randn({9, 1, 6, 6}, torch::kDouble) * 3;
        const auto y = torch::randint(0, 4, {9}, torch::kLong);
        const auto reference = loopGradients(net, x, y);
        std::vector<double> norms;
        for (const auto &grads : reference) {
            double squared = 0;
            for (const auto &g : grads)
                squared += g.pow(2).sum().item<double>();
            norms.push_back(std::sqrt(squared));
        }
        std::sort(norms.begin(), norms.end());
        const double clip = norms[4], expected = 12.0; // the median: some clipped, some not
        DpSgd dp(settings(0.1, expected, 0.0, clip));
        QVERIFY(dp.attach(net));
        // Two passes (5 + 4 examples) accumulate into one step.
        QVERIFY(dp.accumulate(net, x.narrow(0, 0, 5), y.narrow(0, 0, 5), 0.0));
        QVERIFY(dp.accumulate(net, x.narrow(0, 5, 4), y.narrow(0, 5, 4), 0.0));
        net->zero_grad();
        QVERIFY(dp.finishStep(net));
        const auto params = net->parameters();
        int clipped = 0;
        std::vector<torch::Tensor> expectedGrad;
        for (const auto &p : params)
            expectedGrad.push_back(torch::zeros_like(p));
        for (const auto &grads : reference) {
            double squared = 0;
            for (const auto &g : grads)
                squared += g.pow(2).sum().item<double>();
            const double factor = std::min(1.0, clip / (std::sqrt(squared) + 1e-6));
            clipped += factor < 1.0 ? 1 : 0;
            for (std::size_t k = 0; k < grads.size(); ++k)
                expectedGrad[k] += grads[k] * factor / expected;
        }
        QVERIFY(clipped > 0 && clipped < 9); // both cases are exercised
        for (std::size_t k = 0; k < params.size(); ++k)
            QVERIFY2(torch::allclose(params[k].grad(), expectedGrad[k], 1e-7, 1e-9),
                     qPrintable(QString::number(k)));
    }

    // The noise on an empty step is Gaussian with standard deviation sigma * C / expected batch.
    void noiseHasTheAccountedScale()
    {
        torch::manual_seed(5);
        model::ModelSpec spec;
        spec.arch = "mlp";
        spec.widths = {256};
        auto net = model::buildNet(spec, {1, 28, 28}, 10);
        QVERIFY(net);
        DpSgd dp(settings(0.01, 50.0, 1.3, 2.0));
        QVERIFY(dp.attach(*net));
        QVERIFY(dp.finishStep(*net));
        std::vector<torch::Tensor> all;
        for (const auto &p : (*net)->parameters())
            all.push_back(p.grad().flatten());
        const auto noise = torch::cat(all);
        const double want = 1.3 * 2.0 / 50.0;
        QVERIFY(noise.numel() > 200000);
        QVERIFY2(std::abs(noise.std().item<double>() / want - 1) < 0.01,
                 qPrintable(QString::number(noise.std().item<double>())));
        QVERIFY(std::abs(noise.mean().item<double>()) < want * 0.01);
    }

    // Poisson sampling: each example in each batch with probability q, independently.
    void batchesArePoissonSamples()
    {
        DpSgd dp(settings(0.05, 100.0, 1.0, 1.0));
        std::vector<std::int64_t> train(2000);
        std::iota(train.begin(), train.end(), 10000);
        const auto batches = dp.sampleEpoch(train, 7, 0, 400);
        QCOMPARE(batches.size(), std::size_t(400));
        double total = 0, squares = 0;
        std::vector<int> seen(train.size(), 0);
        std::set<std::size_t> sizes;
        for (const auto &batch : batches) {
            total += double(batch.size());
            squares += double(batch.size() * batch.size());
            sizes.insert(batch.size());
            for (std::size_t i = 0; i < batch.size(); ++i) {
                QVERIFY(batch[i] >= 10000 && batch[i] < 12000);
                if (i > 0)
                    QVERIFY(batch[i] > batch[i - 1]); // no example twice in one batch
                ++seen[std::size_t(batch[i] - 10000)];
            }
        }
        const double mean = total / 400, var = squares / 400 - mean * mean;
        // Binomial(2000, 0.05): mean 100, variance 95; the mean of 400 batches is within 3%.
        QVERIFY2(std::abs(mean - 100) < 3, qPrintable(QString::number(mean)));
        QVERIFY2(var > 60 && var < 130, qPrintable(QString::number(var)));
        QVERIFY(sizes.size() > 10); // batch sizes vary
        // Every example's count over 400 batches is Binomial(400, 0.05): mean 20.
        const double perExample = std::accumulate(seen.begin(), seen.end(), 0.0) / 2000;
        QVERIFY(std::abs(perExample - 20) < 1);
        QVERIFY(*std::min_element(seen.begin(), seen.end()) >= 3);

        QCOMPARE(dp.sampleEpoch(train, 7, 0, 5), dp.sampleEpoch(train, 7, 0, 5));
        QVERIFY(dp.sampleEpoch(train, 7, 1, 5) != dp.sampleEpoch(train, 7, 0, 5));
        QVERIFY(dp.sampleEpoch(train, 8, 0, 5) != dp.sampleEpoch(train, 7, 0, 5));
    }

    // A target epsilon is met by the run's last step, and the report is the accountant's.
    void targetEpsilonIsSpentByTheLastStep()
    {
        auto config = privateConfig();
        config.privacy.targetEpsilon = 3.0;
        auto s = privacy::resolvePrivacy(config, 60000, 40 * 30);
        QVERIFY(s);
        config.training.batchSize = 2048;
        s = privacy::resolvePrivacy(config, 60000, 40 * 30);
        QVERIFY(s);
        QCOMPARE(s->delta, 1e-5);
        QCOMPARE(s->sampleRate, 2048.0 / 60000);
        DpSgd dp(*s);
        const auto end = dp.report(40 * 30);
        QVERIFY2(end.epsilon <= 3.0 && end.epsilon > 2.99,
                 qPrintable(QString::number(end.epsilon)));
        privacy::RdpAccountant accountant(s->orders);
        accountant.addSteps(s->sampleRate, s->noiseMultiplier, 600);
        QVERIFY(std::abs(dp.report(600).epsilon - accountant.spent(1e-5)->epsilon) < 1e-9);
        QVERIFY(dp.report(600).epsilon < end.epsilon);
        QCOMPARE(dp.report(0).epsilon, 0.0);

        config.training.batchSize = 70000;
        auto big = privacy::resolvePrivacy(config, 60000, 10);
        QVERIFY(!big);
        QCOMPARE(big.error().context, std::string("training.batch_size"));
        QVERIFY(big.error().message.find("larger than the training split") != std::string::npos);
    }

    // A real private run: the store gets privacy/epsilon at every step, rising to the target.
    void privateRunRecordsEpsilon()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "runs.db";
        auto job = train::RunJob::createNew(privateConfig(), {db, "private", 0});
        QVERIFY2(job, job ? "" : job.error().toString().c_str());
        auto outcome = (*job)->run();
        QVERIFY2(outcome, outcome ? "" : outcome.error().toString().c_str());
        auto store = track::RunStore::open(db);
        QVERIFY(store);
        const auto eps = (*store)->metricSeries((*job)->runId(), track::keys::kPrivacyEpsilon);
        QVERIFY(eps);
        QCOMPARE(std::int64_t(eps->size()), 2 * 9); // 540 / 60 steps per epoch, 2 epochs
        for (std::size_t i = 1; i < eps->size(); ++i)
            QVERIFY((*eps)[i].value > (*eps)[i - 1].value);
        QVERIFY2(eps->back().value <= 4.0 && eps->back().value > 3.99,
                 qPrintable(QString::number(eps->back().value)));
        const auto report = (*job)->trainer().privacyReport();
        QVERIFY(report);
        QCOMPARE(report->epsilon, eps->back().value);
        QCOMPARE(report->delta, 1e-3); // 1/540 rounded down
        QVERIFY(report->noiseMultiplier > 0.3);
        const auto deltas = (*store)->metricSeries((*job)->runId(), track::keys::kPrivacyDelta);
        QVERIFY(deltas && deltas->size() == eps->size());
        QCOMPARE(deltas->back().value, 1e-3);
        // The note of what privacy resolved to: the solved noise and the planned epsilon.
        const auto events = (*store)->events((*job)->runId());
        QVERIFY(events);
        const auto note = std::find_if(events->begin(), events->end(),
                                       [](const auto &e) { return e.kind == "privacy"; });
        QVERIFY(note != events->end());
        const auto payload = nlohmann::json::parse(note->payloadJson);
        QCOMPARE(payload.at("noise_multiplier").get<double>(), report->noiseMultiplier);
        QCOMPARE(payload.at("steps").get<std::int64_t>(), std::int64_t(18));
        QCOMPARE(payload.at("epsilon_at_end").get<double>(), report->epsilon);
        const auto test = (*store)->lastMetric((*job)->runId(), track::keys::kTestAccuracy);
        QVERIFY(test && *test && **test > 0.3); // it learns despite the noise
    }

    // At a small sampling rate Poisson sampling draws empty batches (at q = 1/N about a third
    // of them): such a step is the noise alone over the expected batch (as Opacus does), with no
    // NaN in the weights or the store and no train/loss row of its own.
    void anEmptyBatchIsANoiseOnlyStep()
    {
        DpSgd sampler(settings(1.0 / 540, 1.0, 1.0, 1.0));
        std::vector<std::int64_t> indices(540);
        std::iota(indices.begin(), indices.end(), 0);
        const auto drawn = sampler.sampleEpoch(indices, 3, 0, 100);
        const auto empties = std::count_if(drawn.begin(), drawn.end(),
                                           [](const auto &batch) { return batch.empty(); });
        QVERIFY2(empties > 15 && empties < 60, qPrintable(QString::number(empties)));

        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "runs.db";
        EmptyStepsInstalled installed({0, 4}); // steps 1 and 5 of epoch 1, 10 and 14 of epoch 2
        auto job = train::RunJob::createNew(privateConfig(), {db, "empty steps", 0});
        QVERIFY2(job, job ? "" : job.error().toString().c_str());
        const auto before = (*job)->trainer().net()->parameters().front().clone();
        auto outcome = (*job)->run();
        QVERIFY2(outcome, outcome ? "" : outcome.error().toString().c_str());
        for (const auto &p : (*job)->trainer().net()->parameters())
            QVERIFY(torch::isfinite(p).all().item<bool>());
        QVERIFY(!torch::equal(before, (*job)->trainer().net()->parameters().front()));
        auto store = track::RunStore::open(db);
        QVERIFY(store);
        const auto id = (*job)->runId();
        QCOMPARE((*store)->metricSeries(id, track::keys::kPrivacyEpsilon)->size(), std::size_t(18));
        QCOMPARE((*store)->metricSeries(id, track::keys::kLearningRate)->size(), std::size_t(18));
        for (const auto key : {track::keys::kTrainLoss, track::keys::kTrainAccuracy}) {
            const auto rows = (*store)->metricSeries(id, key);
            QVERIFY(rows);
            std::set<std::int64_t> steps;
            for (const auto &row : *rows) {
                QVERIFY(std::isfinite(row.value));
                steps.insert(row.step);
            }
            QCOMPARE(steps.size(), std::size_t(14));
            for (std::int64_t empty : {1, 5, 10, 14})
                QVERIFY(!steps.contains(empty));
        }
        const auto epochLoss = (*store)->lastMetric(id, track::keys::kEpochLoss);
        QVERIFY(epochLoss && *epochLoss && std::isfinite(**epochLoss));
        const auto test = (*store)->lastMetric(id, track::keys::kTestAccuracy);
        QVERIFY(test && *test && **test > 0.3);
    }

    void batchNormModelIsRefusedBeforeTheRunRow()
    {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "runs.db";
        QCOMPARE(runCount(db), std::size_t(0));
        auto config = privateConfig();
        config.model.arch = "cnn";
        config.model.widths = {8, 16};
        auto job = train::RunJob::createNew(config, {db, "bn", 0});
        QVERIFY(!job);
        QVERIFY2(job.error().message.find("\"bn1\" is batch norm") != std::string::npos,
                 job.error().message.c_str());
        QVERIFY(job.error().message.find("cnn-gn") != std::string::npos);
        config = privateConfig();
        config.training.batchSize = 541;
        job = train::RunJob::createNew(config, {db, "big batch", 0});
        QVERIFY(!job);
        QCOMPARE(job.error().context, std::string("training.batch_size"));
        QCOMPARE(runCount(db), std::size_t(0));
    }
};

LATHE_TEST_GUILESS_MAIN(TestDpSgd)
#include "tst_dp_sgd.moc"
