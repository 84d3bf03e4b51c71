#include "core/data/augment.h"

#include "core/data/rng.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

namespace lathe::data {

namespace {

// Each op draws from its own stream, so switching one op on or off leaves the others' random
// parameters unchanged.
enum class Op : std::uint64_t { Crop = 1, Flip, Affine, Erase };

constexpr double kMinEraseArea = 0.02;
constexpr double kMinEraseAspect = 0.3;
constexpr double kMaxEraseAspect = 3.3;
constexpr int kEraseAttempts = 10;

SplitMix64 opRng(std::uint64_t seed, Op op)
{
    return SplitMix64(mixSeed({seed, std::uint64_t(op)}));
}

/// Writes plane `src` shifted by (dy, dx) into `dst`: dst[y][x] = src[y + dy][x + dx] where
/// that lies inside src, 0 elsewhere.
void copyShifted(const float *src, float *dst, std::int64_t h, std::int64_t w, std::int64_t dy,
                 std::int64_t dx)
{
    const std::int64_t y0 = std::clamp<std::int64_t>(-dy, 0, h), y1 = std::clamp(h - dy, y0, h);
    const std::int64_t x0 = std::clamp<std::int64_t>(-dx, 0, w), x1 = std::clamp(w - dx, x0, w);
    std::fill(dst, dst + y0 * w, 0.0f);
    for (std::int64_t y = y0; y < y1; ++y) {
        float *row = dst + y * w;
        std::fill(row, row + x0, 0.0f);
        std::memcpy(row + x0, src + (y + dy) * w + x0 + dx, std::size_t(x1 - x0) * sizeof(float));
        std::fill(row + x1, row + w, 0.0f);
    }
    std::fill(dst + y1 * w, dst + h * w, 0.0f);
}

/// Zero-pad by `pad` on each side, then crop H x W at a random offset per sample. Done as
/// one shifted copy per plane, without materialising the padded batch.
torch::Tensor randomCrop(const torch::Tensor &x, std::int64_t pad, std::uint64_t seed)
{
    const std::int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    torch::Tensor out = torch::empty_like(x); // every element is written below
    const float *src = x.data_ptr<float>();
    float *dst = out.data_ptr<float>();
    SplitMix64 rng = opRng(seed, Op::Crop);
    for (std::int64_t i = 0; i < b; ++i) {
        const auto dy = std::int64_t(rng.below(std::uint64_t(2 * pad + 1))) - pad;
        const auto dx = std::int64_t(rng.below(std::uint64_t(2 * pad + 1))) - pad;
        for (std::int64_t plane = i * c; plane < (i + 1) * c; ++plane)
            copyShifted(src + plane * h * w, dst + plane * h * w, h, w, dy, dx);
    }
    return out;
}

/// Mirrors each chosen sample left-right. Plain loops: the batch is small, and ATen's
/// parallel ops would contend with the training thread's for cores.
torch::Tensor randomFlip(const torch::Tensor &x, double prob, std::uint64_t seed)
{
    const std::int64_t b = x.size(0), sample = x[0].numel(), w = x.size(3);
    torch::Tensor out = torch::empty_like(x);
    const float *src = x.data_ptr<float>();
    float *dst = out.data_ptr<float>();
    SplitMix64 rng = opRng(seed, Op::Flip);
    for (std::int64_t i = 0; i < b; ++i) {
        const float *from = src + i * sample;
        float *to = dst + i * sample;
        if (!(rng.uniform() < prob)) {
            std::memcpy(to, from, std::size_t(sample) * sizeof(float));
            continue;
        }
        for (std::int64_t row = 0; row < sample; row += w)
            std::reverse_copy(from + row, from + row + w, to + row);
    }
    return out;
}

/// One affine_grid + grid_sample for the batch: per-sample rotation and translation. theta
/// maps output to input in normalised coordinates; the H/W factors keep a rotation a
/// rotation on non-square images.
torch::Tensor randomAffine(const torch::Tensor &x, double rotateDeg, double translateFrac,
                           std::uint64_t seed)
{
    const std::int64_t b = x.size(0), h = x.size(2), w = x.size(3);
    const double aspect = double(h) / double(w);
    SplitMix64 rng = opRng(seed, Op::Affine);
    std::vector<float> theta(std::size_t(b) * 6);
    for (std::int64_t i = 0; i < b; ++i) {
        const double angle = rng.uniform(-rotateDeg, rotateDeg) * std::numbers::pi / 180.0;
        const double tx = rng.uniform(-translateFrac, translateFrac);
        const double ty = rng.uniform(-translateFrac, translateFrac);
        float *t = theta.data() + i * 6;
        t[0] = float(std::cos(angle));
        t[1] = float(-std::sin(angle) * aspect);
        t[2] = float(2.0 * tx);
        t[3] = float(std::sin(angle) / aspect);
        t[4] = float(std::cos(angle));
        t[5] = float(2.0 * ty);
    }
    namespace F = torch::nn::functional;
    const torch::Tensor thetaT = torch::from_blob(theta.data(), {b, 2, 3}, torch::kFloat).clone();
    const torch::Tensor grid = F::affine_grid(thetaT, x.sizes(), false);
    return F::grid_sample(x, grid,
                          F::GridSampleFuncOptions()
                              .mode(torch::kBilinear)
                              .padding_mode(torch::kZeros)
                              .align_corners(false));
}

struct Rect
{
    std::int64_t y, x, h, w;
};

/// A rectangle covering 2%..maxArea of an h x w image with aspect 0.3..3.3 (log-uniform),
/// retried a few times; a small square of the minimum area if no draw fits.
Rect eraseRect(SplitMix64 &rng, std::int64_t h, std::int64_t w, double maxArea)
{
    const double area = double(h * w);
    const double hi = std::clamp(maxArea, kMinEraseArea, 1.0);
    const auto minPixels = std::max<std::int64_t>(1, std::int64_t(std::ceil(kMinEraseArea * area)));
    const auto maxPixels = std::max(minPixels, std::int64_t(std::floor(hi * area)));
    for (int attempt = 0; attempt < kEraseAttempts; ++attempt) {
        const double target = rng.uniform(kMinEraseArea, hi) * area;
        const double ratio
            = std::exp(rng.uniform(std::log(kMinEraseAspect), std::log(kMaxEraseAspect)));
        const std::int64_t rh = std::llround(std::sqrt(target * ratio));
        const std::int64_t rw = std::llround(std::sqrt(target / ratio));
        if (rh < 1 || rw < 1 || rh > h || rw > w || rh * rw < minPixels || rh * rw > maxPixels)
            continue;
        const auto y = std::int64_t(rng.below(std::uint64_t(h - rh + 1)));
        const auto x = std::int64_t(rng.below(std::uint64_t(w - rw + 1)));
        return {y, x, rh, rw};
    }
    const std::int64_t rh = std::min(h, std::int64_t(std::ceil(std::sqrt(double(minPixels)))));
    const std::int64_t rw = std::min(w, (minPixels + rh - 1) / rh);
    const auto y = std::int64_t(rng.below(std::uint64_t(h - rh + 1)));
    const auto x = std::int64_t(rng.below(std::uint64_t(w - rw + 1)));
    return {y, x, rh, rw};
}

/// Zeros one random rectangle (all channels) in each chosen sample of `x`, in place.
void randomErase(torch::Tensor &x, double prob, double maxArea, std::uint64_t seed)
{
    const std::int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    float *data = x.data_ptr<float>();
    SplitMix64 rng = opRng(seed, Op::Erase);
    for (std::int64_t i = 0; i < b; ++i) {
        if (!(rng.uniform() < prob))
            continue;
        const Rect r = eraseRect(rng, h, w, maxArea);
        for (std::int64_t plane = i * c; plane < (i + 1) * c; ++plane) {
            for (std::int64_t y = r.y; y < r.y + r.h; ++y)
                std::fill_n(data + (plane * h + y) * w + r.x, r.w, 0.0f);
        }
    }
}

torch::Tensor augmentCpu(torch::Tensor x, const AugmentConfig &config, std::uint64_t seed,
                         const void *callerData)
{
    if (config.cropPadding > 0)
        x = randomCrop(x, config.cropPadding, seed);
    if (config.hflipProb > 0.0)
        x = randomFlip(x, std::min(config.hflipProb, 1.0), seed);
    if (config.rotateDeg > 0.0 || config.translateFrac > 0.0)
        x = randomAffine(x, std::max(config.rotateDeg, 0.0), std::max(config.translateFrac, 0.0),
                         seed)
                .contiguous();
    if (config.eraseProb > 0.0) {
        if (x.data_ptr() == callerData)
            x = x.clone(); // never write into the caller's tensor
        randomErase(x, config.eraseProb, config.eraseMaxArea, seed);
    }
    return x;
}

bool anyOpOn(const AugmentConfig &config)
{
    return config.cropPadding > 0 || config.hflipProb > 0.0 || config.rotateDeg > 0.0
           || config.translateFrac > 0.0 || config.eraseProb > 0.0;
}

} // namespace

torch::Tensor augmentBatch(const torch::Tensor &batch, const AugmentConfig &config,
                           std::uint64_t seed)
{
    if (!config.enabled || !anyOpOn(config) || !batch.defined() || batch.dim() != 4
        || !batch.is_floating_point() || batch.numel() == 0)
        return batch;
    const torch::Tensor x = batch.to(torch::kCPU, torch::kFloat).contiguous();
    return augmentCpu(x, config, seed, batch.data_ptr()).to(batch.device());
}

} // namespace lathe::data
