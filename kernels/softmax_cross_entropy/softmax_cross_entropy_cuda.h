// Launcher of the fused softmax cross-entropy CUDA kernel (softmax_cross_entropy.cu). Plain
// C++: raw device pointers, sizes and a stream.
#pragma once

#include "kernels/common/cuda_stream.h"

#include <cstdint>

namespace lathe::kernels {

/// One block per row of `logits` ([rows, classes], row stride `rowStride` floats, unit column
/// stride): writes grad ([rows, classes] contiguous) = gradScale * (softmax - q) / rows and
/// rowLoss[r] (float, rows entries) = the row's smoothed cross-entropy; a target outside
/// [0, classes) sets *badTarget (an int, zeroed by the caller) to 1 and gives a NaN row.
/// Asynchronous on `stream`. Fails on null pointers, negative sizes or a launch error.
LaunchStatus softmaxCrossEntropyKernel(const float *logits, const std::int64_t *targets,
                                       std::int64_t rows, std::int64_t classes,
                                       std::int64_t rowStride, float labelSmoothing,
                                       float gradScale, float *grad, float *rowLoss,
                                       int *badTarget, CudaStream stream);

} // namespace lathe::kernels
