// Feature maps to an RGBA grid, CPU reference and production CPU path.
//
// Maths: per channel (or over all channels when shared) lo/hi = finite min/max (Diverging:
// m = max(|lo|, |hi|) if lo <= hi else 0, m = 1 if m == 0, then lo = -m, hi = m); value v ->
// t = clamp((v - lo) * s, 0, 255) with s = float(255 / (hi - lo)) (0 when hi == lo), NaN t -> 0;
// entry = int(t + 0.5); NaN v -> background. The entry's RGBA word is stored at the tile pixel.
// Layout: maps [C, H, W] made contiguous float32; image [height, width, 4] uint8 row-major.
// Ranges: at::parallel_for over channels; drawing: over (channel, tile row), each row's
// indices computed in a vectorised loop, then a table gather.
// Test tolerance (tst_feature_map_grid): pixels equal to the same maths in LibTorch ops.
#include "kernels/feature_map_grid/feature_map_grid.h"

#include "kernels/common/cpu_vector.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace lathe::kernels {

namespace {

struct ChannelRange
{
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
};

LATHE_VECTOR_CLONES ChannelRange finiteRange(const float *__restrict x, std::int64_t n)
{
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
#pragma omp simd reduction(min : lo) reduction(max : hi)
    for (std::int64_t i = 0; i < n; ++i) {
        const bool finite = std::abs(x[i]) <= std::numeric_limits<float>::max();
        lo = finite && x[i] < lo ? x[i] : lo;
        hi = finite && x[i] > hi ? x[i] : hi;
    }
    return {lo, hi};
}

/// The range symmetric around 0 that Colormap::Diverging uses (same float maths as the CUDA
/// kernel): [-m, m] with m the larger magnitude of lo and hi, [-1, 1] when that is 0 or empty.
ChannelRange symmetric(ChannelRange r)
{
    float m = r.lo <= r.hi ? std::max(std::abs(r.lo), std::abs(r.hi)) : 0.0f;
    m = m > 0.0f ? m : 1.0f;
    return {-m, m};
}

/// Colour-table entries (0..255, 256 = background) of one row of values.
LATHE_VECTOR_CLONES void entries(const float *__restrict x, std::int64_t n, float lo, float scale,
                                 std::int32_t *__restrict out)
{
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        float t = (v - lo) * scale;
        t = t > 0.0f ? t : 0.0f;
        t = t < 255.0f ? t : 255.0f;
        out[i] = v != v ? 256 : std::int32_t(t + 0.5f);
    }
}

struct Plan
{
    const float *maps;
    std::int64_t height, width, columns, padding, imageWidth;
    const std::uint32_t *table; // 257 words
    const float *lo;
    const float *scale;
    std::uint32_t *image;
};

void drawRow(const Plan &p, std::int64_t channel, std::int64_t y, std::int32_t *index)
{
    const float *src = p.maps + (channel * p.height + y) * p.width;
    entries(src, p.width, p.lo[channel], p.scale[channel], index);
    const std::int64_t top = (channel / p.columns) * (p.height + p.padding);
    const std::int64_t left = (channel % p.columns) * (p.width + p.padding);
    std::uint32_t *dst = p.image + (top + y) * p.imageWidth + left;
    for (std::int64_t x = 0; x < p.width; ++x)
        dst[x] = p.table[index[x]];
}

std::vector<std::uint32_t> tableWords(const FeatureMapGridOptions &options)
{
    std::vector<std::uint32_t> words(257);
    const auto &table = colormapTable(options.colormap);
    for (std::size_t i = 0; i < 256; ++i)
        std::memcpy(&words[i], table[i].data(), 4);
    std::memcpy(&words[256], options.background.data(), 4);
    return words;
}

} // namespace

Result<FeatureMapGrid> featureMapGridCpu(const at::Tensor &maps,
                                         const FeatureMapGridOptions &options)
{
    at::Tensor maps3;
    auto grid = detail::planFeatureMapGrid(maps, options, maps3);
    if (!grid)
        return grid;
    if (!maps.device().is_cpu())
        return fail(ErrorCode::InvalidArgument, "featureMapGridCpu needs a CPU tensor");
    const at::Tensor x = maps3.to(at::kFloat).contiguous();
    const std::int64_t channels = x.size(0), height = x.size(1), width = x.size(2);
    const std::int64_t plane = height * width;
    std::vector<ChannelRange> ranges(static_cast<std::size_t>(channels));
    const float *data = x.data_ptr<float>();
    at::parallel_for(0, channels, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t c = begin; c < end; ++c)
            ranges[std::size_t(c)] = finiteRange(data + c * plane, plane);
    });
    if (options.normalization == MapNormalization::Shared) {
        ChannelRange all;
        for (const auto &r : ranges)
            all = {std::min(all.lo, r.lo), std::max(all.hi, r.hi)};
        std::fill(ranges.begin(), ranges.end(), all);
    }
    if (options.colormap == Colormap::Diverging)
        for (auto &r : ranges)
            r = symmetric(r);
    std::vector<float> lo(static_cast<std::size_t>(channels)), scale(lo.size());
    for (std::size_t c = 0; c < ranges.size(); ++c) {
        const bool spread = ranges[c].hi > ranges[c].lo;
        lo[c] = spread ? ranges[c].lo : 0.0f;
        scale[c] = spread ? float(255.0 / (double(ranges[c].hi) - double(ranges[c].lo))) : 0.0f;
    }
    const auto words = tableWords(options);
    at::Tensor image = grid->rgba;
    auto *pixels = reinterpret_cast<std::uint32_t *>(image.data_ptr<std::uint8_t>());
    const std::int64_t imagePixels = image.size(0) * image.size(1);
    std::fill(pixels, pixels + imagePixels, words[256]);
    const Plan plan{data,          height,       width,     grid->columns, options.padding,
                    image.size(1), words.data(), lo.data(), scale.data(),  pixels};
    const std::int64_t grain
        = std::max<std::int64_t>(1, detail::kCpuChunk / std::max<std::int64_t>(1, width));
    at::parallel_for(0, channels * height, grain, [&](std::int64_t begin, std::int64_t end) {
        std::vector<std::int32_t> index(static_cast<std::size_t>(width));
        for (std::int64_t row = begin; row < end; ++row)
            drawRow(plan, row / height, row % height, index.data());
    });
    return grid;
}

} // namespace lathe::kernels
