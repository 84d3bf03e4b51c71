// Fused softmax cross-entropy, CUDA kernel and launcher. Maths as in
// softmax_cross_entropy_cpu.cpp. Layout: one 256-thread block per row (grid-stride over rows),
// block reductions for the max, sum z and sum exp(z - max); grad written contiguous. Bad targets
// raise a flag instead of reading out of bounds.
// Test tolerance (tst_kernels_cuda, against the CPU reference): atol 1e-6 + rtol 1e-5.
#include "kernels/softmax_cross_entropy/softmax_cross_entropy_cuda.h"

#include "kernels/common/block_reduce.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace lathe::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void crossEntropyRows(const float *logits, const std::int64_t *targets,
                                 std::int64_t rows, std::int64_t classes, std::int64_t rowStride,
                                 float smoothing, float gradPerRow, float *grad, float *rowLoss,
                                 int *badTarget)
{
    for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const float *z = logits + r * rowStride;
        float *g = grad + r * classes;
        const std::int64_t y = targets[r];
        const bool validTarget = y >= 0 && y < classes;
        float top = -INFINITY, sumZ = 0.0f;
        for (std::int64_t i = threadIdx.x; i < classes; i += blockDim.x) {
            top = cuda::MaxNan()(z[i], top);
            sumZ += z[i];
        }
        top = cuda::blockReduce(top, cuda::MaxNan(), -INFINITY);
        sumZ = cuda::blockReduce(sumZ, cuda::Sum(), 0.0f);
        if (!validTarget || isnan(sumZ) || !isfinite(top)) {
            for (std::int64_t i = threadIdx.x; i < classes; i += blockDim.x)
                g[i] = NAN;
            if (threadIdx.x == 0) {
                rowLoss[r] = NAN;
                if (!validTarget)
                    atomicExch(badTarget, 1);
            }
            continue;
        }
        float sumExp = 0.0f;
        for (std::int64_t i = threadIdx.x; i < classes; i += blockDim.x)
            sumExp += expf(z[i] - top);
        sumExp = cuda::blockReduce(sumExp, cuda::Sum(), 0.0f);
        const float scale = gradPerRow / sumExp;
        const float offset = gradPerRow * smoothing / float(classes);
        for (std::int64_t i = threadIdx.x; i < classes; i += blockDim.x) {
            float value = expf(z[i] - top) * scale - offset;
            if (i == y)
                value -= gradPerRow * (1.0f - smoothing);
            g[i] = value;
        }
        if (threadIdx.x == 0) {
            double loss = double(top) + log(double(sumExp)) - (1.0 - smoothing) * double(z[y]);
            if (smoothing > 0.0f)
                loss -= double(smoothing) / double(classes) * double(sumZ);
            rowLoss[r] = float(loss);
        }
    }
}

} // namespace

LaunchStatus softmaxCrossEntropyKernel(const float *logits, const std::int64_t *targets,
                                       std::int64_t rows, std::int64_t classes,
                                       std::int64_t rowStride, float labelSmoothing,
                                       float gradScale, float *grad, float *rowLoss,
                                       int *badTarget, CudaStream stream)
{
    if (rows < 0 || classes < 0 || rowStride < classes)
        return {"softmax cross-entropy: negative size or row stride smaller than the row"};
    if (rows == 0)
        return {};
    if (!logits || !targets || !grad || !rowLoss || !badTarget)
        return {"softmax cross-entropy: null device pointer"};
    const auto blocks = unsigned(std::min<std::int64_t>(rows, 65535));
    crossEntropyRows<<<blocks, kThreads, 0, stream>>>(logits, targets, rows, classes, rowStride,
                                                      labelSmoothing,
                                                      float(double(gradScale) / double(rows)),
                                                      grad, rowLoss, badTarget);
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess)
        return {std::string("softmax cross-entropy: kernel launch failed: ")
                + cudaGetErrorString(e)};
    return {};
}

} // namespace lathe::kernels
