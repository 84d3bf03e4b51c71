// Launchers of the int8 quantisation CUDA kernels (quantize_int8.cu). Plain C++: raw device
// pointers, sizes and a stream. Layout: [outer, channels, inner] contiguous (the channel axis
// in the middle), so any axis of a contiguous tensor maps to it without a copy.
#pragma once

#include "kernels/common/cuda_stream.h"

#include <cstdint>

namespace lathe::kernels {

/// Per-channel scales (float [channels]) and int8 values (same layout as `weights`); a NaN or
/// Inf weight sets *nonFinite (int, zeroed by the caller) to 1. Asynchronous on `stream`.
LaunchStatus quantizeInt8Kernel(const float *weights, std::int64_t outer, std::int64_t channels,
                                std::int64_t inner, float *scales, std::int8_t *values,
                                int *nonFinite, CudaStream stream);

/// weights = values * scales[channel], same layout. Asynchronous on `stream`.
LaunchStatus dequantizeInt8Kernel(const std::int8_t *values, const float *scales,
                                  std::int64_t outer, std::int64_t channels, std::int64_t inner,
                                  float *weights, CudaStream stream);

} // namespace lathe::kernels
