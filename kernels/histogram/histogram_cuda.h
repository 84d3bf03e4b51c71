// Launchers of the histogram CUDA kernels (histogram.cu). Plain C++: raw device pointers,
// sizes and a stream.
#pragma once

#include "kernels/common/cuda_stream.h"

#include <cstdint>

namespace lathe::kernels {

/// Finite min and max of `n` contiguous floats, written to the host (*min, *max); both are
/// +Inf / -Inf when no element is finite, and *nonFinite counts NaN/Inf. Waits for `stream`.
LaunchStatus finiteRangeKernel(const float *x, std::int64_t n, float *min, float *max,
                               std::int64_t *nonFinite, CudaStream stream);

/// Adds the counts of `n` contiguous floats into `counts` ([bins] int64 on the device, zeroed by
/// the caller): bin int((v - lo) / (hi - lo) * bins), as torch::histc. Shared-memory counts per
/// block when bins <= 4096, global atomics otherwise. Asynchronous on `stream`.
LaunchStatus histogramKernel(const float *x, std::int64_t n, float lo, float hi,
                             std::int64_t bins, std::int64_t *counts, CudaStream stream);

} // namespace lathe::kernels
