#include "core/inspect/colormap.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lathe::inspect {

namespace {

/// The finite extremes of `values` (lo > hi when there is none).
std::pair<double, double> finiteRange(const float *values, std::int64_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (std::int64_t i = 0; i < n; ++i) {
        if (std::isfinite(values[i]))
            lo = std::min(lo, double(values[i])), hi = std::max(hi, double(values[i]));
    }
    return {lo, hi};
}

} // namespace

Result<HeatmapImage> heatmapRgba(const at::Tensor &map, kernels::Colormap colormap)
{
    if (!map.defined() || map.dim() != 2 || !at::isFloatingType(map.scalar_type()))
        return fail(ErrorCode::InvalidArgument, "a heat map is a 2-D floating-point tensor",
                    "heatmap");
    try {
        const at::Tensor values = map.detach().to(torch::kCPU, torch::kFloat).contiguous();
        const std::int64_t h = values.size(0), w = values.size(1);
        const float *data = values.data_ptr<float>();
        auto [lo, hi] = finiteRange(data, h * w);
        const bool diverging = colormap == kernels::Colormap::Diverging;
        if (lo > hi)
            lo = hi = 0.0;
        if (lo < 0 || diverging) {
            const double m = std::max(std::abs(lo), std::abs(hi));
            hi = m > 0 ? m : 1.0;
            lo = -hi;
        }
        HeatmapImage out{torch::empty({h, w, 4}, torch::kUInt8), lo, hi};
        auto *pixel = out.rgba.data_ptr<std::uint8_t>();
        const auto &colours = kernels::colormapTable(colormap);
        for (std::int64_t i = 0; i < h * w; ++i, pixel += 4) {
            const double v = data[i];
            const double t
                = hi > lo && !std::isnan(v) ? std::clamp((v - lo) / (hi - lo), 0.0, 1.0) : 0.0;
            std::memcpy(pixel, colours[std::size_t(std::lround(t * 255))].data(), 4);
            if (diverging)
                pixel[3] = std::uint8_t(std::lround(std::sqrt(std::abs(2.0 * t - 1.0)) * 255.0));
        }
        return out;
    } catch (const std::exception &e) {
        return fail(ErrorCode::InvalidArgument, e.what(), "heatmap");
    }
}

Result<at::Tensor> overlayRgba(const at::Tensor &image, const HeatmapImage &heat, double opacity)
{
    if (!image.defined() || image.dim() != 3 || !heat.rgba.defined() || heat.rgba.dim() != 3
        || image.size(1) != heat.rgba.size(0) || image.size(2) != heat.rgba.size(1))
        return fail(ErrorCode::InvalidArgument,
                    "the heat map and the image ([C,H,W]) differ in size", "heatmap overlay");
    try {
        const at::Tensor grey = image.detach().to(torch::kCPU, torch::kFloat).mean(0).contiguous();
        const at::Tensor heatBytes = heat.rgba.contiguous();
        const std::int64_t n = grey.numel();
        at::Tensor out = torch::empty({grey.size(0), grey.size(1), 4}, torch::kUInt8);
        const float *g = grey.data_ptr<float>();
        const auto *src = heatBytes.data_ptr<std::uint8_t>();
        auto *dst = out.data_ptr<std::uint8_t>();
        for (std::int64_t i = 0; i < n; ++i, src += 4, dst += 4) {
            const double a = std::clamp(opacity, 0.0, 1.0) * src[3] / 255.0;
            const double base = std::clamp(double(g[i]), 0.0, 1.0);
            for (int c = 0; c < 3; ++c)
                dst[c] = std::uint8_t(std::lround(255.0 * (base * (1 - a) + src[c] / 255.0 * a)));
            dst[3] = 255;
        }
        return out;
    } catch (const std::exception &e) {
        return fail(ErrorCode::InvalidArgument, e.what(), "heatmap overlay");
    }
}

} // namespace lathe::inspect
