// Inspection speed on the default CNN (resources/configs/fashion-cnn.json), one test sample,
// 2 LibTorch threads: feature maps of every layer, Grad-CAM, saliency, Integrated Gradients
// (32 steps), occlusion, and the confusion matrix over the 10,000 test images; model loading
// is reported apart. Each figure is the median of several runs after a warm-up. The PyTorch
// peer (bench/peer_inspect.py) computes the same Grad-CAM and IG on the same architecture.
//
// usage: bench_inspect [DB RUN [CHECKPOINT]]   (default: trains a throwaway 40-step run)
#include "bench/bench_timing.h"
#include "core/data/fashion_mnist.h"
#include "core/inspect/attribution.h"
#include "core/inspect/errors.h"
#include "core/inspect/layers.h"
#include "core/train/run_job.h"
#include "core/util/clock.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

using namespace lathe;

namespace {

constexpr int kThreads = 2;

template<typename T>
T orDie(Result<T> result)
{
    if (!result) {
        std::fprintf(stderr, "bench_inspect: %s\n", result.error().toString().c_str());
        std::exit(1);
    }
    return std::move(*result);
}

// A run of the default experiment stopped after 40 steps: the architecture is what matters.
std::int64_t trainThrowaway(const std::filesystem::path &db)
{
    std::ifstream file(LATHE_BENCH_CONFIG);
    auto config = orDie(train::RunConfig::fromJson(nlohmann::json::parse(file)));
    config.training.threads = kThreads;
    auto job = orDie(train::RunJob::createNew(config, {db, "bench-inspect", 40}));
    orDie(job->run());
    return job->runId();
}

struct Row
{
    std::string what;
    double ms;
    double target; // 0 = none
};

void printRow(const Row &r)
{
    if (r.target > 0)
        std::printf("%-34s %10.1f ms   (target <= %.0f ms: %s)\n", r.what.c_str(), r.ms, r.target,
                    r.ms <= r.target ? "met" : "MISSED");
    else
        std::printf("%-34s %10.1f ms\n", r.what.c_str(), r.ms);
}

// Runs the PyTorch peer; empty json when it cannot run (no python3-torch).
nlohmann::json runPeer()
{
    const auto script = std::filesystem::path(__FILE__).parent_path() / "peer_inspect.py";
    const std::string command = "/usr/bin/python3 '" + script.string() + "' --threads "
                                + std::to_string(kThreads) + " 2>/dev/null";
    std::string output;
    if (FILE *pipe = popen(command.c_str(), "r")) {
        char buffer[512];
        while (std::fgets(buffer, sizeof buffer, pipe))
            output += buffer;
        pclose(pipe);
    }
    return nlohmann::json::parse(output, nullptr, false);
}

void timeLayers(train::OpenedRun &m, const torch::Tensor &x, std::vector<Row> &rows)
{
    double worst = 0.0;
    std::string worstLayer;
    for (const auto &layer : inspect::listLayers(m.net, m.inputShape)) {
        const double ms
            = bench::medianMs([&] { orDie(inspect::featureMaps(m.net, x, layer.name)); }, 15);
        if (ms > worst) {
            worst = ms;
            worstLayer = layer.name;
        }
    }
    rows.push_back({"feature maps (slowest: " + worstLayer + ")", worst, 50});
    rows.push_back(
        {"listLayers", bench::medianMs([&] { inspect::listLayers(m.net, m.inputShape); }, 15), 0});
}

} // namespace

int main(int argc, char **argv)
{
    std::filesystem::path db;
    std::string run = "bench-inspect", checkpoint = argc > 3 ? argv[3] : "last";
    const auto tmp = std::filesystem::temp_directory_path() / "lathe-bench-inspect";
    if (argc >= 3) {
        db = argv[1];
        run = argv[2];
    } else {
        std::filesystem::remove_all(tmp);
        db = tmp / "lathe.db";
        trainThrowaway(db);
    }
    std::vector<Row> rows;
    const double loadStart = util::monotonicNow();
    auto m = orDie(train::openRun(db, run, checkpoint));
    rows.push_back({"load model + data (once)", (util::monotonicNow() - loadStart) * 1000, 0});
    at::set_num_threads(kThreads);
    // The confusion matrix is timed over the full test set whatever subset the run used.
    m.data.test = orDie(data::loadFashionMnist(m.config.data.path, data::Split::Test));
    const auto x = m.prepare(orDie(m.testImage(0)));
    const auto layer = inspect::lastSpatialLayer(inspect::listLayers(m.net, m.inputShape));

    timeLayers(m, x, rows);
    rows.push_back({"Grad-CAM (" + layer + ")",
                    bench::medianMs([&] { orDie(inspect::gradCam(m.net, x, layer)); }, 15), 100});
    rows.push_back(
        {"saliency", bench::medianMs([&] { orDie(inspect::saliency(m.net, x)); }, 15), 0});
    inspect::IntegratedGradientsOptions ig;
    ig.baselineImage = m.prepare(torch::zeros(m.inputShape));
    rows.push_back({"integrated gradients (32 steps)",
                    bench::medianMs([&] { orDie(inspect::integratedGradients(m.net, x, ig)); }, 9),
                    1000});
    rows.push_back({"occlusion (4x4 window, stride 2)",
                    bench::medianMs([&] { orDie(inspect::occlusion(m.net, x)); }, 5), 0});
    // The floor under the confusion matrix: the forward passes alone, in errorReport's batches
    // of 100 (smaller batches keep activations in cache: 500 was ~2x slower here).
    const auto all = m.prepare(m.data.test->images(torch::arange(m.data.test->size())));
    const auto forwardAll = [&] {
        torch::NoGradGuard noGrad;
        for (std::int64_t i = 0; i < all.size(0); i += 100)
            m.net->forward(all.narrow(0, i, std::min<std::int64_t>(100, all.size(0) - i)));
    };
    rows.push_back({"  floor: bare forward, same batches", bench::medianMs(forwardAll, 3), 0});
    rows.push_back({"confusion matrix (10,000 images)",
                    bench::medianMs([&] { orDie(inspect::errorReport(m)); }, 3), 10000});

    std::printf("bench_inspect: %s, run %s (%s checkpoint), %d LibTorch threads\n",
                m.net->arch().c_str(), run.c_str(), checkpoint.c_str(), at::get_num_threads());
    for (const auto &r : rows)
        printRow(r);
    const auto peer = runPeer();
    if (peer.is_object()) {
        const auto msOf = [&](const std::string &prefix) {
            return std::find_if(rows.begin(), rows.end(),
                                [&](const Row &r) { return r.what.starts_with(prefix); })
                ->ms;
        };
        const double cam = msOf("Grad-CAM"), igMs = msOf("integrated gradients");
        std::printf("PyTorch peer (python3-torch, same cnn, %d threads): Grad-CAM %.1f ms "
                    "(Lathe/peer %.2f), IG 32 steps %.1f ms (Lathe/peer %.2f)\n",
                    kThreads, peer.value("gradcam_ms", 0.0), cam / peer.value("gradcam_ms", 1.0),
                    peer.value("ig_ms", 0.0), igMs / peer.value("ig_ms", 1.0));
    } else {
        std::printf("PyTorch peer: not run (needs /usr/bin/python3 with python3-torch)\n");
    }
    if (argc < 3)
        std::filesystem::remove_all(tmp);
    return 0;
}
