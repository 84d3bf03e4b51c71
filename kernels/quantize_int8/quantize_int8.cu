// int8 per-channel symmetric quantisation, CUDA kernels and launchers. Maths as in
// quantize_int8_cpu.cpp (division by the scale, round half to even: rintf), so values equal the
// CPU reference. Layout: contiguous [outer, channels, inner]. Scales: one block per channel
// (grid-stride over channels), a block max-reduction over its outer*inner elements. Values:
// grid-stride over all elements.
// Test tolerance (tst_kernels_cuda, against the CPU reference): scales rtol 1e-6, values equal.
#include "kernels/quantize_int8/quantize_int8_cuda.h"

#include "kernels/common/block_reduce.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <string>

namespace lathe::kernels {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 4096;

struct MaxOp
{
    __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

__global__ void channelScales(const float *w, std::int64_t outer, std::int64_t channels,
                              std::int64_t inner, float *scales, int *nonFinite)
{
    const std::int64_t perChannel = outer * inner;
    for (std::int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
        float top = 0.0f;
        bool bad = false;
        for (std::int64_t i = threadIdx.x; i < perChannel; i += blockDim.x) {
            const std::int64_t o = i / inner, j = i % inner;
            const float a = fabsf(w[(o * channels + c) * inner + j]);
            bad |= !isfinite(a);
            top = fmaxf(top, a);
        }
        top = cuda::blockReduce(top, MaxOp(), 0.0f);
        if (bad)
            atomicExch(nonFinite, 1);
        if (threadIdx.x == 0)
            scales[c] = top > 0.0f ? top / 127.0f : 1.0f;
    }
}

__global__ void quantizeValues(const float *w, const float *scales, std::int64_t total,
                               std::int64_t channels, std::int64_t inner, std::int8_t *q)
{
    const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
    for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
         i += stride) {
        const float v = rintf(w[i] / scales[(i / inner) % channels]);
        q[i] = std::int8_t(fminf(fmaxf(v, -127.0f), 127.0f));
    }
}

__global__ void dequantizeValues(const std::int8_t *q, const float *scales, std::int64_t total,
                                 std::int64_t channels, std::int64_t inner, float *w)
{
    const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
    for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
         i += stride)
        w[i] = float(q[i]) * scales[(i / inner) % channels];
}

unsigned blocksFor(std::int64_t n)
{
    return unsigned(std::clamp<std::int64_t>((n + kThreads - 1) / kThreads, 1, kMaxBlocks));
}

LaunchStatus launchStatus(const char *what)
{
    const cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess)
        return {};
    return {std::string(what) + ": kernel launch failed: " + cudaGetErrorString(e)};
}

} // namespace

LaunchStatus quantizeInt8Kernel(const float *weights, std::int64_t outer, std::int64_t channels,
                                std::int64_t inner, float *scales, std::int8_t *values,
                                int *nonFinite, CudaStream stream)
{
    if (outer < 0 || channels < 0 || inner < 0)
        return {"int8 quantisation: negative size"};
    const std::int64_t total = outer * channels * inner;
    if (channels == 0)
        return {};
    if (!scales || !nonFinite || (total > 0 && (!weights || !values)))
        return {"int8 quantisation: null device pointer"};
    channelScales<<<unsigned(std::min<std::int64_t>(channels, 65535)), kThreads, 0, stream>>>(
        weights, outer, channels, inner, scales, nonFinite);
    if (auto s = launchStatus("int8 quantisation"); !s.ok() || total == 0)
        return s;
    quantizeValues<<<blocksFor(total), kThreads, 0, stream>>>(weights, scales, total, channels,
                                                              inner, values);
    return launchStatus("int8 quantisation");
}

LaunchStatus dequantizeInt8Kernel(const std::int8_t *values, const float *scales,
                                  std::int64_t outer, std::int64_t channels, std::int64_t inner,
                                  float *weights, CudaStream stream)
{
    if (outer < 0 || channels < 0 || inner < 0)
        return {"int8 dequantisation: negative size"};
    const std::int64_t total = outer * channels * inner;
    if (total == 0)
        return {};
    if (!values || !scales || !weights)
        return {"int8 dequantisation: null device pointer"};
    dequantizeValues<<<blocksFor(total), kThreads, 0, stream>>>(values, scales, total, channels,
                                                                inner, weights);
    return launchStatus("int8 dequantisation");
}

} // namespace lathe::kernels
