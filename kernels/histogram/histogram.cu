// Histogram, CUDA kernels and launchers. Maths as in histogram_cpu.cpp: the same float32 bin
// formula (IEEE division, no fast-math), so counts equal the CPU reference exactly.
// Layout: contiguous floats, grid-stride loops. finiteRange: block reductions then one atomic
// per block on order-preserving integer encodings of the floats. histogram: per-block counts in
// shared memory (32-bit, flushed with 64-bit global atomics) when bins <= kSharedBins, else
// 64-bit global atomics directly.
// Test tolerance (tst_kernels_cuda, against the CPU reference): counts equal.
#include "kernels/histogram/histogram_cuda.h"

#include "kernels/common/block_reduce.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <string>

namespace lathe::kernels {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 1024;
constexpr std::int64_t kSharedBins = 4096;

/// Maps a float to an unsigned int whose order matches the float order (for atomicMin/Max).
__device__ unsigned orderedBits(float v)
{
    const unsigned bits = __float_as_uint(v);
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

__host__ __device__ float fromOrderedBits(unsigned u)
{
    const unsigned bits = (u & 0x80000000u) ? (u & 0x7fffffffu) : ~u;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

struct MinOp
{
    __device__ float operator()(float a, float b) const { return fminf(a, b); }
};
struct MaxOp
{
    __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

__global__ void finiteRange(const float *x, std::int64_t n, unsigned *range,
                            unsigned long long *nonFinite)
{
    float lo = INFINITY, hi = -INFINITY;
    unsigned long long bad = 0;
    const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
    for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += stride) {
        const float v = x[i];
        if (isfinite(v)) {
            lo = fminf(lo, v);
            hi = fmaxf(hi, v);
        } else {
            ++bad;
        }
    }
    lo = cuda::blockReduce(lo, MinOp(), INFINITY);
    hi = cuda::blockReduce(hi, MaxOp(), -INFINITY);
    bad = cuda::blockReduce(bad, cuda::Sum(), 0ull);
    if (threadIdx.x == 0) {
        atomicMin(&range[0], orderedBits(lo));
        atomicMax(&range[1], orderedBits(hi));
        if (bad)
            atomicAdd(nonFinite, bad);
    }
}

__device__ int binOf(float v, float lo, float hi, int bins)
{
    if (!(v >= lo && v <= hi))
        return -1;
    // lo == hi only when +-1 vanished in float32 rounding: everything inside is bin 0.
    return hi > lo ? min(int((v - lo) / (hi - lo) * float(bins)), bins - 1) : 0;
}

__global__ void countShared(const float *x, std::int64_t n, float lo, float hi, int bins,
                            unsigned long long *counts)
{
    extern __shared__ unsigned local[];
    for (int b = threadIdx.x; b < bins; b += blockDim.x)
        local[b] = 0;
    __syncthreads();
    const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
    for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += stride) {
        const int b = binOf(x[i], lo, hi, bins);
        if (b >= 0)
            atomicAdd(&local[b], 1u);
    }
    __syncthreads();
    for (int b = threadIdx.x; b < bins; b += blockDim.x)
        if (local[b])
            atomicAdd(&counts[b], (unsigned long long)local[b]);
}

__global__ void countGlobal(const float *x, std::int64_t n, float lo, float hi, int bins,
                            unsigned long long *counts)
{
    const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
    for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += stride) {
        const int b = binOf(x[i], lo, hi, bins);
        if (b >= 0)
            atomicAdd(&counts[b], 1ull);
    }
}

unsigned blocksFor(std::int64_t n)
{
    return unsigned(std::clamp<std::int64_t>((n + kThreads - 1) / kThreads, 1, kMaxBlocks));
}

std::string lastError(const char *what)
{
    const cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? std::string() : std::string(what) + cudaGetErrorString(e);
}

} // namespace

LaunchStatus finiteRangeKernel(const float *x, std::int64_t n, float *min, float *max,
                               std::int64_t *nonFinite, CudaStream stream)
{
    if (n < 0 || !min || !max || !nonFinite || (n > 0 && !x))
        return {"histogram range: null pointer or negative size"};
    // scratch: two ordered-bits words (min, max) then the non-finite count.
    struct Scratch
    {
        unsigned range[2];
        unsigned long long nonFinite;
    };
    const Scratch initial{{0xffffffffu, 0u}, 0ull};
    Scratch *device = nullptr;
    if (cudaError_t e = cudaMallocAsync(&device, sizeof(Scratch), stream); e != cudaSuccess)
        return {std::string("histogram range: cudaMallocAsync: ") + cudaGetErrorString(e)};
    Scratch result = initial;
    cudaMemcpyAsync(device, &initial, sizeof(Scratch), cudaMemcpyHostToDevice, stream);
    std::string error;
    if (n > 0) {
        finiteRange<<<blocksFor(n), kThreads, 0, stream>>>(x, n, device->range,
                                                            &device->nonFinite);
        error = lastError("histogram range: kernel launch failed: ");
    }
    cudaMemcpyAsync(&result, device, sizeof(Scratch), cudaMemcpyDeviceToHost, stream);
    cudaFreeAsync(device, stream);
    if (const cudaError_t e = cudaStreamSynchronize(stream); error.empty() && e != cudaSuccess)
        error = std::string("histogram range: ") + cudaGetErrorString(e);
    // No finite element leaves min = +Inf and max = -Inf, as on the CPU.
    *min = result.range[0] == 0xffffffffu ? INFINITY : fromOrderedBits(result.range[0]);
    *max = result.range[1] == 0u ? -INFINITY : fromOrderedBits(result.range[1]);
    *nonFinite = std::int64_t(result.nonFinite);
    return {error};
}

LaunchStatus histogramKernel(const float *x, std::int64_t n, float lo, float hi,
                             std::int64_t bins, std::int64_t *counts, CudaStream stream)
{
    if (n < 0 || bins < 1 || bins > (std::int64_t(1) << 24) || !counts || (n > 0 && !x))
        return {"histogram: null pointer, negative size or bins outside [1, 2^24]"};
    if (!(lo <= hi))
        return {"histogram: expected lo <= hi"};
    if (n == 0)
        return {};
    auto *out = reinterpret_cast<unsigned long long *>(counts);
    if (bins <= kSharedBins)
        countShared<<<blocksFor(n), kThreads, size_t(bins) * sizeof(unsigned), stream>>>(
            x, n, lo, hi, int(bins), out);
    else
        countGlobal<<<blocksFor(n), kThreads, 0, stream>>>(x, n, lo, hi, int(bins), out);
    return {lastError("histogram: kernel launch failed: ")};
}

} // namespace lathe::kernels
