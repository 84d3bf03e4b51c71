// Launchers of the fused Adam/AdamW CUDA kernels (fused_adamw.cu). Plain C++: raw device
// pointers, sizes and a stream; no CUDA or LibTorch header needed to call them.
#pragma once

#include "kernels/common/cuda_stream.h"

#include <cstdint>

namespace lathe::kernels {

/// One parameter's device buffers (all `numel` float32, dense, same layout) and its
/// per-parameter scalars: stepSize = lr / (1 - beta1^step), biasCorrection2Sqrt =
/// sqrt(1 - beta2^step).
struct AdamWKernelTensor
{
    float *param = nullptr;
    const float *grad = nullptr;
    float *expAvg = nullptr;
    float *expAvgSq = nullptr;
    std::int64_t numel = 0;
    float stepSize = 0.0f;
    float biasCorrection2Sqrt = 1.0f;
};

/// The scalars shared by every parameter of a step.
struct AdamWKernelScalars
{
    float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    float weightDecay = 0.0f;
    float decayFactor = 1.0f; ///< AdamW: 1 - lr * weightDecay
    bool decoupled = true;
    float gradScale = 1.0f;   ///< clipping factor applied to every gradient
};

/// Sum of squares of every gradient (in double), computed on `stream`, written to
/// `*sumSquares` on the host (the launcher waits for the stream). `tensors` is a host array of
/// `count` entries. Fails on null pointers, negative sizes or a CUDA error.
LaunchStatus adamWGradSquaresKernel(const AdamWKernelTensor *tensors, int count,
                                    double *sumSquares, CudaStream stream);

/// One Adam/AdamW step over `count` parameters on `stream` (asynchronous). `tensors` is a host
/// array. Fails on null pointers, negative sizes or a launch error.
LaunchStatus fusedAdamWKernel(const AdamWKernelTensor *tensors, int count,
                              const AdamWKernelScalars &scalars, CudaStream stream);

} // namespace lathe::kernels
