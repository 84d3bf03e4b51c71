// Feature maps to pixels: min-max normalisation (per channel or shared), a colour-map lookup and
// the tiling of C channels into one RGBA8 grid image (what the Visualise panel shows).
#pragma once

#include "base/error.h"

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>

namespace lathe::kernels {

/// The colour maps: matplotlib's perceptually uniform ones, gray, and Diverging: blue through
/// white to red (coolwarm's end colours, each joined to pure white by a straight CIELAB line:
/// entries 127 and 128 are white). Diverging draws each range symmetric around 0 (see
/// featureMapGrid()), so 0 is white, negative values blue and positive ones red.
enum class Colormap { Gray, Viridis, Magma, Inferno, Diverging };

/// Whether each channel is stretched over the colour map on its own or all share one range.
enum class MapNormalization { PerChannel, Shared };

/// How featureMapGrid() draws.
struct FeatureMapGridOptions
{
    MapNormalization normalization = MapNormalization::PerChannel;
    Colormap colormap = Colormap::Viridis;
    std::int64_t columns = 0;                           ///< tiles per row; 0 = ceil(sqrt(C))
    std::int64_t padding = 1;                           ///< pixels between tiles
    std::array<std::uint8_t, 4> background{0, 0, 0, 0}; ///< RGBA of padding, spare tiles, NaN
};

/// The grid image and its geometry.
struct FeatureMapGrid
{
    at::Tensor rgba; ///< uint8 [height, width, 4], contiguous (QImage::Format_RGBA8888 rows)
    std::int64_t columns = 0, rows = 0;
    std::int64_t tileWidth = 0, tileHeight = 0;
};

/// Draws `maps` ([C, H, W] or [1, C, H, W], any floating dtype and strides) as a grid of C
/// tiles, channel c at row c / columns, column c % columns, left to right. Each value v maps to
/// colour-map entry round-half-up(clamp((v - lo) * 255 / (hi - lo), 0, 255)) where lo/hi are the
/// finite min/max of its channel (PerChannel) or of all channels (Shared); a constant channel is
/// entry 0, +-Inf the ends, NaN the background. For Colormap::Diverging the range is made
/// symmetric: lo = -m, hi = +m with m = max(|lo|, |hi|), or m = 1 when that is 0 or there is no
/// finite value (an all-zero channel is white, a constant c != 0 the end of its sign).
/// width = columns*W + (columns-1)*padding, height likewise. The image is on the input's device.
/// Errors (InvalidArgument): a wrong rank or dtype, negative padding or columns, an image over 2^31
/// bytes, CUDA tensors in a build without CUDA. Thread-safety: pure function.
Result<FeatureMapGrid> featureMapGrid(const at::Tensor &maps,
                                      const FeatureMapGridOptions &options = {});

/// The CPU reference (also the production CPU path): ranges and tiles in parallel
/// (at::parallel_for), vectorised index computation. Same contract for CPU tensors.
Result<FeatureMapGrid> featureMapGridCpu(const at::Tensor &maps,
                                         const FeatureMapGridOptions &options = {});

/// The 256 RGBA entries of a colour map (entry i for t = i / 255), built once. Thread-safe.
const std::array<std::array<std::uint8_t, 4>, 256> &colormapTable(Colormap colormap);

namespace detail {
/// Grid geometry and checks shared by both paths; `maps3` receives the [C, H, W] view.
Result<FeatureMapGrid> planFeatureMapGrid(const at::Tensor &maps,
                                          const FeatureMapGridOptions &options, at::Tensor &maps3);
} // namespace detail

} // namespace lathe::kernels
