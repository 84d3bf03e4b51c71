// Overhead of Lathe's trainer (loader thread, events, metric rows through the store writer)
// over a bare LibTorch loop on the same in-memory tensors, model, optimizer and batches.
// The model and hyperparameters are the default experiment's (resources/configs/fashion-cnn.json)
// without augmentation. Target: <= 3%. Usage: bench_overhead [STEPS] [REPEATS]
#include "core/data/fashion_mnist.h"
#include "core/data/normalization.h"
#include "core/model/zoo.h"
#include "core/track/run_store.h"
#include "core/track/store_writer.h"
#include "core/train/optimizer_factory.h"
#include "core/train/run_recorder.h"
#include "core/train/trainer.h"
#include "core/util/allocator.h"
#include "core/util/clock.h"
#include "core/util/threads.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

using namespace lathe;

namespace {

// The default experiment without augmentation or validation, long enough for `steps`.
Result<train::RunConfig> benchConfig(std::int64_t steps)
{
    auto c = train::loadRunConfig(LATHE_BENCH_CONFIG);
    if (!c)
        return c;
    c->data.valFraction = 0.0;
    c->training.epochs = 1 + steps * c->training.batchSize / 60000;
    c->augment.enabled = false;
    c->training.mixedPrecision = "off"; // the bare loop is fp32: the same maths on both sides
    return c;
}

// The bare loop: what a user would write by hand with LibTorch, no workbench around it.
double bareSeconds(const train::RunConfig &config, const torch::Tensor &x, const torch::Tensor &y,
                   std::int64_t steps)
{
    torch::manual_seed(config.training.seed);
    auto net = *model::buildNet(config.model, {1, 28, 28}, 10);
    for (auto &p : net->parameters()) // channels-last strides even for the 1-channel weight
        if (p.dim() == 4)
            p.set_data(p.to(p.options(), false, true, at::MemoryFormat::ChannelsLast));
    auto optimizer = *train::makeOptimizer(config.optimizer, net->parameters());
    const auto n = x.size(0);
    auto order = torch::randperm(n);
    const double start = util::monotonicNow();
    for (std::int64_t step = 0; step < steps; ++step) {
        const auto batch = config.training.batchSize;
        const auto begin = (step * batch) % (n - batch);
        auto idx = order.narrow(0, begin, batch);
        auto xb = x.index_select(0, idx).contiguous(at::MemoryFormat::ChannelsLast);
        auto yb = y.index_select(0, idx);
        optimizer->zero_grad();
        auto loss = torch::nn::functional::cross_entropy(
            net->forward(xb), yb,
            torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(
                config.training.labelSmoothing));
        loss.backward();
        optimizer->step();
        (void)loss.item<double>();
    }
    return util::monotonicNow() - start;
}

double latheSeconds(const train::RunConfig &config, const train::TrainData &data,
                    std::int64_t steps, const std::filesystem::path &db)
{
    train::TrainerOptions options;
    options.maxSteps = steps;
    options.evaluateTest = false;
    auto trainer = train::Trainer::create(config, data, options);
    if (db.empty()) {
        const double start = util::monotonicNow();
        (void)(*trainer)->run();
        return util::monotonicNow() - start;
    }
    auto store = track::RunStore::open(db);
    auto runId = (*store)->createRun({"overhead", config.toJson().dump(), 0, {}, ""});
    auto writer = track::StoreWriter::open(db);
    train::RunRecorder recorder(**writer, *runId);
    (*trainer)->setObserver(&recorder);
    const double start = util::monotonicNow();
    (void)(*trainer)->run();
    (void)(*writer)->flush();
    return util::monotonicNow() - start;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    const std::int64_t steps = argc > 1 ? std::atoll(argv[1]) : 200;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
    const int threads = util::configureThreads();
    util::configureAllocator(); // as lathe and lathe-cli do, for both sides
    const auto loaded = benchConfig(steps);
    if (!loaded) {
        std::fprintf(stderr, "%s\n", loaded.error().toString().c_str());
        return 1;
    }
    const auto &config = *loaded;
    auto data = train::loadTrainData(config.data);
    if (!data) {
        std::fprintf(stderr, "%s\n", data.error().toString().c_str());
        return 1;
    }
    auto all = torch::arange(data->train->size());
    const auto norm = data::measureNormalization(*data->train, all);
    const auto x = norm.apply(data->train->images(all));
    const auto y = data->train->labels();
    const auto dir = std::filesystem::temp_directory_path() / "lathe-bench-overhead";
    std::filesystem::remove_all(dir);
    std::vector<double> bare, lathe;
    for (int r = 0; r < repeats; ++r) {
        bare.push_back(bareSeconds(config, x, y, steps));
        lathe.push_back(
            latheSeconds(config, *data, steps, dir / ("r" + std::to_string(r) + ".db")));
        if (std::getenv("LATHE_BENCH_NOSTORE"))
            std::printf("  trainer without store %.3f s\n", latheSeconds(config, *data, steps, {}));
        std::printf("repeat %d: bare %.3f s, lathe %.3f s\n", r + 1, bare.back(), lathe.back());
    }
    std::filesystem::remove_all(dir);
    const double b = median(bare), l = median(lathe);
    std::printf("threads %d, %lld steps of batch 128 (median of %d)\n", threads, (long long)steps,
                repeats);
    std::printf("bare LibTorch loop %.3f s (%.0f samples/s)\n", b, steps * 128 / b);
    std::printf("lathe trainer      %.3f s (%.0f samples/s)\n", l, steps * 128 / l);
    std::printf("overhead %+.2f%% (target <= 3%%)\n", (l / b - 1.0) * 100.0);
    return 0;
}
