// Cost of recording histograms during training (histograms.every / bins) on the default
// experiment (resources/configs/fashion-cnn.json, no augmentation): the time one recording
// adds (weights, gradients and activations of every parameter and stage, counted with
// kernels::histogram, handed to RunRecorder and the store writer) against the time of a
// training step, and so the overhead at the default interval. Target: < 1% of training time.
// Usage: bench_histograms [STEPS] [RECORDINGS]
#include "bench/bench_timing.h"
#include "core/track/run_store.h"
#include "core/track/store_writer.h"
#include "core/train/run_recorder.h"
#include "core/train/step_histograms.h"
#include "core/train/trainer.h"
#include "core/util/clock.h"
#include "core/util/threads.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

using namespace lathe;

namespace {

// Seconds per optimizer step of the trainer alone (no histograms, no store).
double stepSeconds(train::RunConfig config, const train::TrainData &data, std::int64_t steps)
{
    config.histograms.every = 0;
    train::TrainerOptions options;
    options.maxSteps = steps;
    options.evaluateTest = false;
    auto trainer = train::Trainer::create(config, data, options);
    if (!trainer)
        return 0.0;
    const double start = util::monotonicNow();
    (void)(*trainer)->run();
    return (util::monotonicNow() - start) / double(steps);
}

// Seconds one recording adds to its step: the histograms of a real forward/backward of the
// default model (the forward and backward themselves are the step's own, not counted), and
// handing them to the recorder that queues them for the store writer.
std::vector<double> recordingSeconds(const train::RunConfig &config, const train::TrainData &data,
                                     int recordings, train::RunRecorder &recorder,
                                     std::size_t *rows)
{
    auto trainer = train::Trainer::create(config, data, {});
    auto &net = (*trainer)->net();
    net->train();
    const auto index = torch::arange(config.training.batchSize);
    const auto x = (*trainer)->normalization().apply(data.train->images(index));
    const auto y = data.train->labels().index_select(0, index);
    std::vector<double> seconds;
    train::StepHistograms histograms(config.histograms);
    for (int r = 0; r < recordings; ++r) {
        auto *taps = histograms.begin(r + 1);
        auto loss = torch::nn::functional::cross_entropy(net->forward(x, taps), y);
        loss.backward();
        const double start = util::monotonicNow();
        histograms.addActivations(net);
        histograms.addGradients(net);
        auto event = histograms.finish(net, util::unixNow());
        recorder.onHistograms(event);
        seconds.push_back(util::monotonicNow() - start);
        *rows = event.histograms.size();
        net->zero_grad();
    }
    return seconds;
}

} // namespace

int main(int argc, char **argv)
{
    const std::int64_t steps = argc > 1 ? std::atoll(argv[1]) : 60;
    const int recordings = argc > 2 ? std::atoi(argv[2]) : 20;
    const int threads = util::configureThreads();
    auto config = train::loadRunConfig(LATHE_BENCH_CONFIG);
    if (!config) {
        std::fprintf(stderr, "%s\n", config.error().toString().c_str());
        return 1;
    }
    config->data.valFraction = 0.0;
    config->augment.enabled = false;
    auto data = train::loadTrainData(config->data);
    if (!data) {
        std::fprintf(stderr, "%s\n", data.error().toString().c_str());
        return 1;
    }
    const auto dir = std::filesystem::temp_directory_path() / "lathe-bench-histograms";
    std::filesystem::remove_all(dir);
    const auto db = dir / "lathe.db";
    auto store = track::RunStore::open(db);
    auto writer = track::StoreWriter::open(db);
    if (!store || !writer) {
        std::fprintf(stderr, "cannot open %s\n", db.c_str());
        return 1;
    }
    const auto runId = (*store)->createRun({"histograms", config->toJson().dump(), 0, {}, ""});
    train::RunRecorder recorder(**writer, *runId);

    const double step = stepSeconds(*config, *data, steps);
    std::size_t rows = 0;
    const double record = bench::median(recordingSeconds(*config, *data, recordings, recorder, &rows));
    const auto flushed = (*writer)->flush();
    const auto every = config->histograms.every;
    std::printf("threads %d, batch %lld, bins %lld\n", threads,
                (long long)config->training.batchSize, (long long)config->histograms.bins);
    std::printf("training step          %.2f ms (mean over %lld steps)\n", step * 1e3,
                (long long)steps);
    std::printf("one recording          %.2f ms (%zu histograms, median of %d)%s\n", record * 1e3,
                rows, recordings, flushed ? "" : " [store write failed]");
    for (std::int64_t n : {every, std::int64_t(50), std::int64_t(1)}) {
        std::printf("overhead every %-5lld %+.3f%%%s\n", (long long)n,
                    100.0 * record / (double(n) * step), n == every ? " (default)" : "");
    }
    std::filesystem::remove_all(dir);
    return 0;
}
