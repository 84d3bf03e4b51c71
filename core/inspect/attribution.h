// Attributions: which input pixels a class score depends on. Every method explains the logit
// (pre-softmax score) of `target` for one prepared input [1,C,H,W] and returns a heatmap.
#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

namespace lathe::inspect {

/// A heatmap over the input: [H,W] float, same H,W as the input.
struct Attribution
{
    torch::Tensor map;          ///< [H,W]; signed for IG, >= 0 for saliency and Grad-CAM
    std::int64_t target = 0;    ///< the class explained
    double score = 0.0;         ///< its logit for the input
};

/// Saliency: |d logit_target / d input|, max over channels. `target` empty = the predicted
/// class. Thread-safety: uses `net` (eval mode expected).
Result<Attribution> saliency(model::Net &net, const torch::Tensor &input,
                             std::optional<std::int64_t> target = std::nullopt);

/// Grad-CAM for spatial stage `layer`: ReLU(sum_c alpha_c A_c), alpha_c the spatial mean of
/// d logit / d A_c, upsampled bilinearly to the input size. InvalidArgument naming the layer
/// when it does not exist or is not spatial ([C,H,W]).
Result<Attribution> gradCam(model::Net &net, const torch::Tensor &input, const std::string &layer,
                            std::optional<std::int64_t> target = std::nullopt);

/// Integrated Gradients options. The baseline is a constant image (in prepared, normalised
/// units) unless `baselineImage` is given ([1,C,H,W], prepared).
struct IntegratedGradientsOptions
{
    std::int64_t steps = 32;          ///< Riemann (midpoint) steps, >= 1
    double baselineValue = 0.0;
    std::optional<torch::Tensor> baselineImage;
    std::int64_t batch = 32;          ///< interpolated inputs per forward pass
};

/// Integrated Gradients result: the [H,W] map (sum over channels) and its completeness.
struct IntegratedGradients
{
    Attribution attribution;
    double attributionSum = 0.0;      ///< sum of all attributions (channels included)
    double scoreDelta = 0.0;          ///< f(x) - f(baseline) for the target logit
    double completenessError = 0.0;   ///< |sum - delta| / max(|delta|, 1e-12)
};

/// Integrated Gradients (Sundararajan et al., 2017) from the baseline to `input` along a straight
/// path, `options.steps` midpoints in batches of `options.batch`. `target` empty = the predicted
/// class. Cancelled when `stop` is requested (checked between batches); InvalidArgument for
/// steps or batch < 1, a baseline of another shape, a target out of range. Uses `net`.
Result<IntegratedGradients> integratedGradients(model::Net &net, const torch::Tensor &input,
                                                const IntegratedGradientsOptions &options = {},
                                                std::optional<std::int64_t> target = std::nullopt,
                                                std::stop_token stop = {});

/// Occlusion: the drop of the target logit when a `window` x `window` square (stride
/// `stride`) is set to `fill`, averaged over the windows covering each pixel.
struct OcclusionOptions
{
    std::int64_t window = 4;
    std::int64_t stride = 2;
    double fill = 0.0;
};

/// Occlusion map (signed: a negative value means hiding the pixel raises the score). Windows
/// at 0, stride, ... plus the last that fits, so every pixel is covered; window is clamped to
/// the input size. Cancelled when `stop` is requested; InvalidArgument for window or stride < 1.
Result<Attribution> occlusion(model::Net &net, const torch::Tensor &input,
                              const OcclusionOptions &options = {},
                              std::optional<std::int64_t> target = std::nullopt,
                              std::stop_token stop = {});

} // namespace lathe::inspect
