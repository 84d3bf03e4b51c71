// Histograms recorded during training (histograms.every / bins) and the epoch checkpoints
// (training.keep_epoch_checkpoints), on real Fashion-MNIST subsets, through the trainer's
// events and through RunJob into the store.
#include "core/model/zoo.h"
#include "core/track/run_store.h"
#include "core/train/checkpoint.h"
#include "core/train/run_job.h"
#include "core/train/trainer.h"
#include "tests/test_registry.h"

#include <QtTest>
#include <torch/torch.h>

#include <map>
#include <numeric>

using namespace lathe;
using namespace lathe::train;
using track::HistogramKind;

namespace {

RunConfig tinyConfig(model::ModelSpec spec, std::int64_t epochs)
{
    RunConfig c;
    c.data.path = LATHE_TEST_FASHION_DIR;
    c.data.subset = 600;
    c.model = std::move(spec);
    c.training.epochs = epochs;
    c.training.batchSize = 50;
    c.training.seed = 11;
    c.augment.enabled = false;
    return c;
}

struct HistogramCollector : TrainObserver
{
    std::vector<HistogramEvent> events;
    std::vector<std::int64_t> steps;
    void onStep(const StepEvent &e) override { steps.push_back(e.step); }
    void onHistograms(const HistogramEvent &e) override { events.push_back(e); }
};

std::uint64_t countSum(const std::vector<std::uint32_t> &counts)
{
    return std::accumulate(counts.begin(), counts.end(), std::uint64_t(0));
}

// The number of elements each stage outputs for a batch of `batch` images.
std::map<std::string, std::int64_t> stageSizes(model::Net &net, std::int64_t batch)
{
    torch::NoGradGuard noGrad;
    model::Taps taps;
    taps.all = true;
    net->eval();
    net->forward(torch::zeros({batch, 1, 28, 28}), &taps);
    std::map<std::string, std::int64_t> sizes;
    for (const auto &[name, output] : taps.outputs)
        sizes[name] = output.numel();
    return sizes;
}

} // namespace

class TestHistogramRecording : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void configKeysRoundTripAndValidate()
    {
        const RunConfig defaults;
        QVERIFY(defaults.histograms.every > 0);
        QVERIFY(defaults.training.keepEpochCheckpoints);
        auto parsed = RunConfig::fromJson(nlohmann::json::parse(
            R"({"histograms": {"every": 0, "bins": 8},
                "training": {"keep_epoch_checkpoints": false}})"));
        QVERIFY(parsed.has_value());
        QCOMPARE(parsed->histograms.every, std::int64_t(0));
        QCOMPARE(parsed->histograms.bins, std::int64_t(8));
        QVERIFY(!parsed->training.keepEpochCheckpoints);
        QVERIFY(*RunConfig::fromJson(parsed->toJson()) == *parsed);

        const std::vector<std::pair<const char *, const char *>> bad{
            {R"({"histograms": {"every": -1}})", "histograms.every"},
            {R"({"histograms": {"bins": 1}})", "histograms.bins"},
            {R"({"histograms": {"bins": 2.5}})", "histograms.bins"},
            {R"({"histograms": {"evry": 10}})", "histograms.evry"},
            {R"({"histograms": 5})", "histograms"},
            {R"({"training": {"keep_epoch_checkpoints": "yes"}})",
             "training.keep_epoch_checkpoints"},
        };
        for (const auto &[text, key] : bad) {
            auto config = RunConfig::fromJson(nlohmann::json::parse(text));
            QVERIFY2(!config, text);
            QVERIFY2(config.error().context == key, config.error().toString().c_str());
        }
    }

    // Every N steps: weights, gradients and activations of every parameter and stage, with
    // counts that add up to the tensor's size over its own range.
    void recordsEveryNStepsWithCountsThatAddUp()
    {
        auto config = tinyConfig({"cnn", {4, 8}, 0.0}, 1);
        config.histograms = {3, 16};
        auto data = loadTrainData(config.data);
        QVERIFY(data.has_value());
        TrainerOptions options;
        options.maxSteps = 10;
        options.evaluateTest = false;
        auto trainer = Trainer::create(config, *data, options);
        QVERIFY(trainer.has_value());
        HistogramCollector collector;
        (*trainer)->setObserver(&collector);
        QVERIFY((*trainer)->run().has_value());
        QCOMPARE(collector.steps.size(), std::size_t(10));
        QCOMPARE(collector.events.size(), std::size_t(3));
        auto &net = (*trainer)->net();
        const auto parameters = net->named_parameters();
        const auto sizes = stageSizes(net, config.training.batchSize);
        for (std::size_t i = 0; i < collector.events.size(); ++i) {
            const auto &event = collector.events[i];
            QCOMPARE(event.step, std::int64_t(3 * (i + 1)));
            std::map<HistogramKind, int> perKind;
            for (const auto &h : event.histograms) {
                ++perKind[h.kind];
                QCOMPARE(h.counts.size(), std::size_t(16));
                QVERIFY2(h.min < h.max, h.name.c_str());
                QCOMPARE(h.nonFinite, std::int64_t(0));
                const std::int64_t numel = h.kind == HistogramKind::Activations
                                               ? sizes.at(h.name)
                                               : parameters[h.name].numel();
                QCOMPARE(countSum(h.counts), std::uint64_t(numel));
            }
            QCOMPARE(perKind[HistogramKind::Weights], int(parameters.size()));
            QCOMPARE(perKind[HistogramKind::Gradients], int(parameters.size()));
            QCOMPARE(perKind[HistogramKind::Activations], int(sizes.size()));
        }
        // The last recorded weights are the weights after step 9; training went on to 10.
        const auto &last = collector.events.back();
        const auto first
            = std::find_if(last.histograms.begin(), last.histograms.end(),
                           [](const auto &h) { return h.kind == HistogramKind::Weights; });
        QVERIFY(first != last.histograms.end());
        QVERIFY(parameters[first->name].max().item<double>() != first->max
                || parameters[first->name].min().item<double>() != first->min);
    }

    // Through RunJob into the store: rows at the expected steps, weights' range equal to the
    // epoch checkpoint of the same step, and one epoch-N.pt per epoch.
    void storedRowsMatchEpochCheckpoints()
    {
        QTemporaryDir dir;
        const std::filesystem::path db = dir.filePath("lathe.db").toStdString();
        auto config = tinyConfig({"mlp", {32}, 0.0}, 2);
        config.data.valFraction = 0.1;
        auto probe = Trainer::create(config, *loadTrainData(config.data), {});
        QVERIFY(probe.has_value());
        const std::int64_t perEpoch = (*probe)->stepsPerEpoch();
        config.histograms = {perEpoch, 32};
        auto job = RunJob::createNew(config, {db, "hist", 0});
        QVERIFY(job.has_value());
        QVERIFY((*job)->run().has_value());
        const auto runId = (*job)->runId();

        const auto runDir = runDirectory(db, runId);
        for (std::int64_t epoch : {1, 2}) {
            const auto path = runDir / ("epoch-" + std::to_string(epoch) + ".pt");
            QVERIFY2(std::filesystem::exists(path), path.c_str());
            auto state = readCheckpointState(path);
            QVERIFY(state.has_value());
            QCOMPARE(state->epoch, epoch);
            QCOMPARE(state->step, epoch * perEpoch);
        }
        QVERIFY(!std::filesystem::exists(runDir / "epoch-3.pt"));

        auto store = track::RunStore::open(db);
        QVERIFY(store.has_value());
        auto keys = (*store)->histogramKeys(runId);
        QVERIFY(keys.has_value());
        QCOMPARE(keys->front(), (track::HistogramKey{"fc1.weight", HistogramKind::Weights}));
        const auto has = [&](const track::HistogramKey &k) {
            return std::find(keys->begin(), keys->end(), k) != keys->end();
        };
        QVERIFY(has({"fc1.bias", HistogramKind::Gradients}));
        QVERIFY(has({"relu1", HistogramKind::Activations}));
        QVERIFY(has({"head", HistogramKind::Activations}));

        // Weights at the end of epoch 1 as the checkpoint of that step holds them.
        auto net = model::buildNet(config.model, {1, 28, 28}, 10);
        QVERIFY(net.has_value());
        QVERIFY(loadCheckpoint(runDir / "epoch-1.pt", *net, nullptr).has_value());
        for (const auto &parameter : (*net)->named_parameters()) {
            auto series
                = (*store)->histogramSeries(runId, {parameter.key(), HistogramKind::Weights});
            QVERIFY(series.has_value());
            QCOMPARE(series->size(), std::size_t(2));
            QCOMPARE(series->at(0).step, perEpoch);
            QCOMPARE(series->at(1).step, 2 * perEpoch);
            QCOMPARE(series->at(0).min, parameter.value().min().item<double>());
            QCOMPARE(series->at(0).max, parameter.value().max().item<double>());
            QCOMPARE(countSum(series->at(0).counts), std::uint64_t(parameter.value().numel()));
            // Incremental read: only what comes after the step already seen.
            auto after = (*store)->histogramSeries(runId, {parameter.key(), HistogramKind::Weights},
                                                   perEpoch);
            QVERIFY(after.has_value());
            QCOMPARE(after->size(), std::size_t(1));
            QCOMPARE(after->front().step, 2 * perEpoch);
        }
        auto artifacts = (*store)->artifacts(runId);
        QVERIFY(artifacts.has_value());
        QVERIFY(std::any_of(artifacts->begin(), artifacts->end(),
                            [](const auto &a) { return a.kind == "checkpoint-epoch-2"; }));
    }

    void switchesOff()
    {
        QTemporaryDir dir;
        auto config = tinyConfig({"mlp", {16}, 0.0}, 1);
        config.histograms.every = 0;
        config.training.keepEpochCheckpoints = false;
        auto data = loadTrainData(config.data);
        QVERIFY(data.has_value());
        TrainerOptions options;
        options.checkpointDir = dir.path().toStdString();
        options.evaluateTest = false;
        auto trainer = Trainer::create(config, *data, options);
        QVERIFY(trainer.has_value());
        HistogramCollector collector;
        (*trainer)->setObserver(&collector);
        QVERIFY((*trainer)->run().has_value());
        QVERIFY(!collector.steps.empty());
        QVERIFY(collector.events.empty());
        QVERIFY(QFile::exists(dir.filePath("last.pt")));
        QVERIFY(!QFile::exists(dir.filePath("epoch-1.pt")));
    }
};

LATHE_TEST_GUILESS_MAIN(TestHistogramRecording)
#include "tst_histogram_recording.moc"
