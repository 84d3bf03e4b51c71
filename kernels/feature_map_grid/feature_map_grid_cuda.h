// Launcher of the feature-map grid CUDA kernels (feature_map_grid.cu). Plain C++: raw device
// pointers, sizes and a stream.
#pragma once

#include "kernels/common/cuda_stream.h"

#include <cstdint>

namespace lathe::kernels {

/// Geometry and colours of one grid: `lut` holds 256 colour-map entries then the background,
/// each an RGBA word in memory byte order (R first). `diverging`: ranges symmetric around 0, as
/// featureMapGrid() documents for Colormap::Diverging.
struct FeatureMapGridKernelArgs
{
    std::int64_t channels = 0, height = 0, width = 0;
    std::int64_t columns = 1, padding = 0, imageWidth = 0, imageHeight = 0;
    bool shared = false;
    bool diverging = false;
    std::uint32_t lut[257] = {};
};

/// Draws contiguous float maps [C, H, W] into `rgba` ([imageHeight, imageWidth] RGBA words).
/// `range` is device scratch of 2 * (C + 1) floats. Asynchronous on `stream`. Fails on null
/// pointers, negative sizes or a launch error.
LaunchStatus featureMapGridKernel(const float *maps, const FeatureMapGridKernelArgs &args,
                                  float *range, std::uint32_t *rgba, CudaStream stream);

} // namespace lathe::kernels
