// Lathe's fused kernels against their LibTorch peers, measured in the same run and reported as
// ratios (peer time / kernel time; > 1 means the kernel is faster). CPU only.
//   1. fused AdamW step vs torch::optim::AdamW::step() on the parameters of cnn and resnet-mini
//      (also with gradient clipping: clip_grad_norm_ + step() vs the folded clip);
//   2. fused softmax cross-entropy forward+backward vs cross_entropy (log_softmax + nll_loss
//      with label smoothing 0.1) + autograd, at 256 x 10 and 64 x 1000;
//   3. histogram vs torch::histc, int8 quantisation vs the same maths in LibTorch ops;
//   4. end-to-end training samples/s of the default config (fashion-cnn.json) fused on vs off.
// Each timing is the best of REPEATS rounds, peers and kernels interleaved.
// Usage: bench_kernels [REPEATS] [THREADS] [SECTIONS]
// SECTIONS: a comma-separated subset of adamw,ce,hist,train (default: all of them).
#include "bench/bench_timing.h"
#include "core/model/zoo.h"
#include "core/train/fused_step.h"
#include "core/train/trainer.h"
#include "core/util/clock.h"
#include "core/util/threads.h"
#include "kernels/histogram/histogram.h"
#include "kernels/quantize_int8/quantize_int8.h"
#include "kernels/softmax_cross_entropy/softmax_cross_entropy.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>

using namespace lathe;
using lathe::bench::bestPerCall;

namespace {

void report(const char *what, double peer, double kernel)
{
    std::printf("%-46s peer %9.1f us  lathe %9.1f us  ratio %5.2fx\n", what, peer * 1e6,
                kernel * 1e6, peer / kernel);
}

std::vector<torch::Tensor> modelParameters(const std::string &arch)
{
    model::ModelSpec spec;
    spec.arch = arch;
    if (arch == "cnn")
        spec.widths = {24, 48, 96}; // the default experiment's
    auto net = model::buildNet(spec, {1, 28, 28}, 10);
    if (!net) {
        std::fprintf(stderr, "%s\n", net.error().toString().c_str());
        std::exit(1);
    }
    std::vector<torch::Tensor> params;
    for (auto &p : (*net)->parameters()) {
        auto q = p.detach().clone();
        if (q.dim() == 4) // as the trainer keeps them on the CPU
            q = q.contiguous(at::MemoryFormat::ChannelsLast);
        q.requires_grad_(true);
        q.mutable_grad() = torch::randn_like(q) * 0.01;
        params.push_back(q);
    }
    return params;
}

void benchAdamW(const std::string &arch, double clip, int repeats)
{
    auto peerParams = modelParameters(arch);
    auto fusedParams = modelParameters(arch);
    std::int64_t count = 0;
    for (const auto &p : peerParams)
        count += p.numel();
    const auto options = torch::optim::AdamWOptions(1e-4).weight_decay(0.05);
    torch::optim::AdamW peer(peerParams, options);
    torch::optim::AdamW fused(fusedParams, options);
    const double peerTime = bestPerCall(
        [&] {
            if (clip > 0)
                torch::nn::utils::clip_grad_norm_(peerParams, clip);
            peer.step();
        },
        50, repeats);
    const double fusedTime = bestPerCall(
        [&] {
            if (!train::fusedAdamStep(fused, true, clip))
                std::exit(1);
        },
        50, repeats);
    char label[128];
    std::snprintf(label, sizeof label, "AdamW step %s (%lld params)%s", arch.c_str(),
                  static_cast<long long>(count), clip > 0 ? " + clip" : "");
    report(label, peerTime, fusedTime);
}

void benchCrossEntropy(std::int64_t rows, std::int64_t classes, int repeats)
{
    const auto logits = torch::randn({rows, classes});
    const auto targets = torch::randint(0, classes, {rows});
    const double peerTime = bestPerCall(
        [&] {
            auto z = logits.detach().requires_grad_(true);
            auto loss = torch::nn::functional::cross_entropy(
                z, targets, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(0.1));
            loss.backward();
            (void)loss.item<double>();
        },
        200, repeats);
    const double fusedTime = bestPerCall(
        [&] {
            auto r = kernels::softmaxCrossEntropy(logits, targets, 0.1);
            (void)r->loss.item<double>();
        },
        200, repeats);
    char label[128];
    std::snprintf(label, sizeof label, "softmax CE fwd+bwd %lld x %lld",
                  static_cast<long long>(rows), static_cast<long long>(classes));
    report(label, peerTime, fusedTime);
}

void benchHistogramAndQuantize(int repeats)
{
    const auto x = torch::randn({1 << 20});
    report("histogram 1M floats, 64 bins (vs histc)",
           bestPerCall([&] { (void)torch::histc(x, 64); }, 20, repeats),
           bestPerCall([&] { (void)kernels::histogram(x, 64); }, 20, repeats));
    const auto w = torch::randn({256, 1152});
    const auto peer = [&] {
        auto scale = w.abs().amax({1}) / 127.0f;
        (void)(w / scale.view({-1, 1})).round().clamp(-127, 127).to(torch::kChar);
    };
    report("int8 quantise 256 x 1152 (vs LibTorch ops)", bestPerCall(peer, 50, repeats),
           bestPerCall([&] { (void)kernels::quantizeInt8(w); }, 50, repeats));
}

struct Throughput : train::TrainObserver
{
    std::int64_t samples = 0;
    double start = 0.0, end = 0.0;
    void onStep(const train::StepEvent &e) override
    {
        if (e.step == 10)
            start = util::monotonicNow(); // after warm-up
        else if (e.step > 10)
            samples += 128;
        end = util::monotonicNow();
    }
};

double trainingSamplesPerSecond(bool fused, std::int64_t steps)
{
    auto config = train::loadRunConfig(LATHE_BENCH_CONFIG);
    if (!config)
        std::exit(1);
    config->data.subset = 20000;
    config->training.fused = fused;
    config->training.threads = torch::get_num_threads();
    auto data = train::loadTrainData(config->data);
    train::TrainerOptions options;
    options.maxSteps = steps;
    options.evaluateTest = false;
    auto trainer = train::Trainer::create(*config, *data, options);
    if (!trainer)
        std::exit(1);
    Throughput throughput;
    (*trainer)->setObserver(&throughput);
    if (!(*trainer)->run())
        std::exit(1);
    return double(throughput.samples) / (throughput.end - throughput.start);
}

} // namespace

int main(int argc, char **argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // lines appear as measured, even when piped
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    const int threads = util::configureThreads(argc > 2 ? std::atoi(argv[2]) : 0);
    const std::string sections = argc > 3 ? argv[3] : "adamw,ce,hist,train";
    const auto wanted = [&](const std::string &name) {
        return ("," + sections + ",").find("," + name + ",") != std::string::npos;
    };
    std::printf("bench_kernels: %d LibTorch threads, best of %d rounds\n", threads, repeats);
    if (wanted("adamw"))
        for (const char *arch : {"cnn", "resnet-mini"}) {
            benchAdamW(arch, 0.0, repeats);
            benchAdamW(arch, 1.0, repeats);
        }
    if (wanted("ce")) {
        benchCrossEntropy(256, 10, repeats);
        benchCrossEntropy(64, 1000, repeats);
    }
    if (wanted("hist"))
        benchHistogramAndQuantize(repeats);
    if (!wanted("train"))
        return 0;
    double off = 0.0, on = 0.0;
    for (int r = 0; r < 2; ++r) { // interleaved, best of two
        off = std::max(off, trainingSamplesPerSecond(false, 150));
        on = std::max(on, trainingSamplesPerSecond(true, 150));
    }
    std::printf("%-46s off %8.0f /s  on %8.0f /s  ratio %5.2fx\n",
                "training samples/s, default config", off, on, on / off);
    return 0;
}
