#include "core/inspect/attribution.h"

#include "core/inspect/stage_lookup.h"
#include "core/util/torch_error.h"

#include <algorithm>
#include <cmath>

namespace lathe::inspect {

namespace {

namespace F = torch::nn::functional;

Result<void> checkInput(const torch::Tensor &input)
{
    if (!input.defined() || input.dim() != 4 || input.size(0) != 1 || !input.is_floating_point())
        return fail(ErrorCode::InvalidArgument,
                    "attributions explain one prepared floating-point input [1,C,H,W]");
    return {};
}

// The class to explain: `target` if given and in range, else the arg-max of `logits` [1,K].
Result<std::int64_t> resolveTarget(const torch::Tensor &logits, std::optional<std::int64_t> target)
{
    if (logits.dim() != 2 || logits.size(0) != 1)
        return fail(ErrorCode::InvalidArgument,
                    "the network does not output class scores [1,K] for one input");
    const std::int64_t classes = logits.size(1);
    if (!target)
        return logits[0].argmax().item<std::int64_t>();
    if (*target < 0 || *target >= classes)
        return fail(ErrorCode::InvalidArgument,
                    "target class " + std::to_string(*target) + " is out of range: the model has "
                        + std::to_string(classes) + " classes",
                    "target");
    return *target;
}

Error torchFailure(const char *method, const std::exception &e)
{
    return Error{ErrorCode::InvalidArgument,
                 std::string("cannot compute ") + method + ": " + util::describe(e),
                 {}};
}

Result<Attribution> saliencyImpl(model::Net &net, const torch::Tensor &input,
                                 std::optional<std::int64_t> target)
{
    torch::AutoGradMode grad(true);
    auto x = input.detach().clone().requires_grad_(true);
    const auto logits = net->forward(x);
    auto t = resolveTarget(logits, target);
    if (!t)
        return std::unexpected(t.error());
    const auto score = logits[0][*t];
    const auto dx = torch::autograd::grad({score}, {x})[0];
    return Attribution{dx[0].abs().amax(0).detach(), *t, score.item<double>()};
}

Result<Attribution> gradCamImpl(model::Net &net, const torch::Tensor &input,
                                const std::string &layer, std::optional<std::int64_t> target)
{
    torch::AutoGradMode grad(true);
    // The input takes part in the graph so the stage output does even with frozen weights.
    auto x = input.detach().requires_grad_(true);
    model::Taps taps;
    taps.wanted = {layer};
    taps.keepGraph = true;
    const auto logits = net->forward(x, &taps);
    auto tapped = tappedOutput(taps, layer);
    if (!tapped)
        return std::unexpected(tapped.error());
    const auto activation = *tapped;
    if (activation.dim() != 4)
        return fail(ErrorCode::InvalidArgument,
                    "layer \"" + layer
                        + "\" is not spatial (its output is not [C,H,W]); "
                          "Grad-CAM needs a convolutional stage",
                    "layer " + layer);
    auto t = resolveTarget(logits, target);
    if (!t)
        return std::unexpected(t.error());
    const auto score = logits[0][*t];
    const auto dA = torch::autograd::grad({score}, {activation})[0];
    const auto alpha = dA.mean({2, 3}, true);
    auto cam = torch::relu((alpha * activation.detach()).sum(1, true));
    cam = F::interpolate(cam, F::InterpolateFuncOptions()
                                  .size(std::vector<std::int64_t>{input.size(2), input.size(3)})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
    return Attribution{cam[0][0].contiguous(), *t, score.item<double>()};
}

// Sum over `steps` midpoints alpha_k = (k + 0.5) / steps of d logit_t / d x at
// baseline + alpha_k (input - baseline), in batches; empty optional when stopped.
std::optional<torch::Tensor> pathGradientSum(model::Net &net, const torch::Tensor &input,
                                             const torch::Tensor &baseline, std::int64_t t,
                                             const IntegratedGradientsOptions &options,
                                             std::stop_token stop)
{
    torch::AutoGradMode grad(true);
    const auto delta = input - baseline;
    auto sum = torch::zeros_like(input);
    for (std::int64_t first = 0; first < options.steps; first += options.batch) {
        if (stop.stop_requested())
            return std::nullopt;
        const std::int64_t n = std::min(options.batch, options.steps - first);
        const auto alphas
            = (torch::arange(first, first + n, input.options()) + 0.5) / double(options.steps);
        auto xs = (baseline + alphas.view({n, 1, 1, 1}) * delta).detach().requires_grad_(true);
        const auto logits = net->forward(xs);
        const auto dx = torch::autograd::grad({logits.select(1, t).sum()}, {xs})[0];
        sum += dx.sum(0, true);
    }
    return sum;
}

Result<IntegratedGradients> integratedGradientsImpl(model::Net &net, const torch::Tensor &input,
                                                    const IntegratedGradientsOptions &options,
                                                    std::optional<std::int64_t> target,
                                                    std::stop_token stop)
{
    const auto baseline = options.baselineImage
                              ? options.baselineImage->to(input.options()).detach()
                              : torch::full_like(input, options.baselineValue);
    if (baseline.sizes() != input.sizes())
        return fail(ErrorCode::InvalidArgument, "the baseline image must have the input's shape",
                    "baselineImage");
    torch::Tensor ends;
    {
        torch::NoGradGuard noGrad;
        ends = net->forward(torch::cat({input, baseline}));
    }
    auto t = resolveTarget(ends.narrow(0, 0, 1), target);
    if (!t)
        return std::unexpected(t.error());
    auto sum = pathGradientSum(net, input, baseline, *t, options, stop);
    if (!sum)
        return fail(ErrorCode::Cancelled, "integrated gradients stopped");
    const auto attribution = ((input - baseline) * *sum / double(options.steps))[0].detach();
    IntegratedGradients ig;
    ig.attribution = {attribution.sum(0), *t, ends[0][*t].item<double>()};
    ig.attributionSum = attribution.sum().item<double>();
    ig.scoreDelta = ig.attribution.score - ends[1][*t].item<double>();
    ig.completenessError
        = std::abs(ig.attributionSum - ig.scoreDelta) / std::max(std::abs(ig.scoreDelta), 1e-12);
    return ig;
}

// Occluded copies of `input`, one per window origin in `origins` ([n] pairs y, x).
torch::Tensor occludedBatch(const torch::Tensor &input,
                            const std::vector<std::pair<std::int64_t, std::int64_t>> &origins,
                            const OcclusionOptions &options)
{
    auto batch = input.repeat({std::int64_t(origins.size()), 1, 1, 1});
    for (std::size_t i = 0; i < origins.size(); ++i)
        batch[std::int64_t(i)]
            .narrow(1, origins[i].first, options.window)
            .narrow(2, origins[i].second, options.window)
            .fill_(options.fill);
    return batch;
}

// Window origins along one axis of `size`: 0, stride, ... and the last that fits, so every
// pixel is covered.
std::vector<std::int64_t> windowStarts(std::int64_t size, const OcclusionOptions &options)
{
    std::vector<std::int64_t> starts;
    const std::int64_t last = std::max<std::int64_t>(size - options.window, 0);
    for (std::int64_t s = 0; s < last; s += options.stride)
        starts.push_back(s);
    starts.push_back(last);
    return starts;
}

Result<Attribution> occlusionImpl(model::Net &net, const torch::Tensor &input,
                                  OcclusionOptions options, std::optional<std::int64_t> target,
                                  std::stop_token stop)
{
    constexpr std::size_t kBatch = 64;
    torch::NoGradGuard noGrad;
    const auto logits = net->forward(input);
    auto t = resolveTarget(logits, target);
    if (!t)
        return std::unexpected(t.error());
    const double score = logits[0][*t].item<double>();
    const std::int64_t h = input.size(2), w = input.size(3);
    options.window = std::min({options.window, h, w});
    std::vector<std::pair<std::int64_t, std::int64_t>> origins;
    for (auto y : windowStarts(h, options))
        for (auto x : windowStarts(w, options))
            origins.emplace_back(y, x);
    auto drop = torch::zeros({h, w}, input.options());
    auto count = torch::zeros({h, w}, input.options());
    for (std::size_t first = 0; first < origins.size(); first += kBatch) {
        if (stop.stop_requested())
            return fail(ErrorCode::Cancelled, "occlusion stopped");
        const std::vector chunk(origins.begin() + std::ptrdiff_t(first),
                                origins.begin()
                                    + std::ptrdiff_t(std::min(first + kBatch, origins.size())));
        const auto scores = net->forward(occludedBatch(input, chunk, options)).select(1, *t);
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            const auto [y, x] = chunk[i];
            drop.narrow(0, y, options.window).narrow(1, x, options.window)
                += score - scores[std::int64_t(i)];
            count.narrow(0, y, options.window).narrow(1, x, options.window) += 1;
        }
    }
    return Attribution{drop / count.clamp_min(1), *t, score};
}

} // namespace

Result<Attribution> saliency(model::Net &net, const torch::Tensor &input,
                             std::optional<std::int64_t> target)
{
    if (auto ok = checkInput(input); !ok)
        return std::unexpected(ok.error());
    try {
        return saliencyImpl(net, input, target);
    } catch (const std::exception &e) {
        return std::unexpected(torchFailure("saliency", e));
    }
}

Result<Attribution> gradCam(model::Net &net, const torch::Tensor &input, const std::string &layer,
                            std::optional<std::int64_t> target)
{
    if (auto known = requireStage(net, layer); !known)
        return std::unexpected(known.error());
    if (auto ok = checkInput(input); !ok)
        return std::unexpected(ok.error());
    try {
        return gradCamImpl(net, input, layer, target);
    } catch (const std::exception &e) {
        return std::unexpected(torchFailure("Grad-CAM", e));
    }
}

Result<IntegratedGradients> integratedGradients(model::Net &net, const torch::Tensor &input,
                                                const IntegratedGradientsOptions &options,
                                                std::optional<std::int64_t> target,
                                                std::stop_token stop)
{
    if (auto ok = checkInput(input); !ok)
        return std::unexpected(ok.error());
    if (options.steps < 1 || options.batch < 1)
        return fail(ErrorCode::InvalidArgument,
                    "integrated gradients need at least 1 step and a batch of at least 1", "steps");
    try {
        return integratedGradientsImpl(net, input, options, target, stop);
    } catch (const std::exception &e) {
        return std::unexpected(torchFailure("integrated gradients", e));
    }
}

Result<Attribution> occlusion(model::Net &net, const torch::Tensor &input,
                              const OcclusionOptions &options, std::optional<std::int64_t> target,
                              std::stop_token stop)
{
    if (auto ok = checkInput(input); !ok)
        return std::unexpected(ok.error());
    if (options.window < 1 || options.stride < 1)
        return fail(ErrorCode::InvalidArgument, "the occlusion window and stride must be >= 1",
                    "window");
    try {
        return occlusionImpl(net, input, options, target, stop);
    } catch (const std::exception &e) {
        return std::unexpected(torchFailure("occlusion", e));
    }
}

} // namespace lathe::inspect
