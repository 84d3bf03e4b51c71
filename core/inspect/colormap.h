// Heat maps to pixels: the one colouring that the Visualise panel shows and lathe-cli inspect
// writes, so a map looks the same in both.
#pragma once

#include "core/util/error.h"
#include "kernels/feature_map_grid/feature_map_grid.h"

#include <ATen/core/Tensor.h>

namespace lathe::inspect {

/// The Visualise panel's default heatmap opacity over the input, which lathe-cli inspect's PNGs
/// use too.
inline constexpr double kHeatmapOpacity = 0.55;

/// A heat map coloured: its pixels and the values at the two ends of the colour map.
struct HeatmapImage
{
    at::Tensor rgba;   ///< uint8 [H, W, 4] on the CPU, contiguous (QImage::Format_RGBA8888 rows)
    double low = 0.0;  ///< the value drawn as the colour map's first entry
    double high = 0.0; ///< the value drawn as its last entry
};

/// Colours `map` ([H, W], any floating dtype and device). Values are stretched over [low, high],
/// the finite minimum and maximum; when a value is negative or the colour map is Diverging the
/// range is made symmetric, [-m, m] with m the larger magnitude (1 when that is 0), so the
/// middle of the map (Diverging's white) means "no effect". Value v takes entry
/// round(255 t), t = clamp((v - low) / (high - low), 0, 1), of kernels::colormapTable; NaN and
/// a constant non-diverging map take entry 0. Diverging pixels fade out towards the middle
/// (alpha = 255 sqrt(|2t - 1|)) so the input shows where the map is neutral; other maps are
/// opaque. InvalidArgument for a map that is not 2-D floating point. Never throws; pure.
Result<HeatmapImage> heatmapRgba(const at::Tensor &map, kernels::Colormap colormap);

/// `heat` drawn with `opacity` (times each pixel's alpha) over `image` ([C, H, W] in [0, 1],
/// shown in grey, the mean of its channels): opaque uint8 RGBA [H, W, 4], each channel
/// round(255 (grey (1 - a) + colour a)), a = opacity * alpha / 255. InvalidArgument when the
/// sizes differ. Never throws; pure.
Result<at::Tensor> overlayRgba(const at::Tensor &image, const HeatmapImage &heat, double opacity);

} // namespace lathe::inspect
