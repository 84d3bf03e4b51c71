// Feature maps to an RGBA grid, CUDA kernels and launcher. Maths as in feature_map_grid_cpu.cpp
// (same float32 operations, so pixels equal the CPU reference). Layout: maps [C, H, W]
// contiguous, image [imageHeight, imageWidth] RGBA words. channelRanges: one block per channel
// (grid-stride over channels), block min/max over finite values into range[2c], range[2c+1];
// sharedRange: one block folds them into range[2C], range[2C+1]; draw: grid-stride over image
// pixels, so padding and spare tiles get the background in the same pass (and, for the
// diverging map, makes each range symmetric around 0 first).
// Test tolerance (tst_kernels_cuda, against the CPU reference): pixels equal.
#include "kernels/feature_map_grid/feature_map_grid_cuda.h"

#include "kernels/common/block_reduce.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <string>

namespace lathe::kernels {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 4096;

struct MinOp
{
    __device__ float operator()(float a, float b) const { return fminf(a, b); }
};
struct MaxOp
{
    __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

__global__ void channelRanges(const float *maps, std::int64_t channels, std::int64_t plane,
                              float *range)
{
    for (std::int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
        float lo = INFINITY, hi = -INFINITY;
        for (std::int64_t i = threadIdx.x; i < plane; i += blockDim.x) {
            const float v = maps[c * plane + i];
            if (isfinite(v)) {
                lo = fminf(lo, v);
                hi = fmaxf(hi, v);
            }
        }
        lo = cuda::blockReduce(lo, MinOp(), INFINITY);
        hi = cuda::blockReduce(hi, MaxOp(), -INFINITY);
        if (threadIdx.x == 0) {
            range[2 * c] = lo;
            range[2 * c + 1] = hi;
        }
    }
}

__global__ void sharedRange(std::int64_t channels, float *range)
{
    float lo = INFINITY, hi = -INFINITY;
    for (std::int64_t c = threadIdx.x; c < channels; c += blockDim.x) {
        lo = fminf(lo, range[2 * c]);
        hi = fmaxf(hi, range[2 * c + 1]);
    }
    lo = cuda::blockReduce(lo, MinOp(), INFINITY);
    hi = cuda::blockReduce(hi, MaxOp(), -INFINITY);
    if (threadIdx.x == 0) {
        range[2 * channels] = lo;
        range[2 * channels + 1] = hi;
    }
}

__global__ void draw(const float *maps, FeatureMapGridKernelArgs a, const float *range,
                     std::uint32_t *image)
{
    const std::int64_t total = a.imageWidth * a.imageHeight;
    const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
    for (std::int64_t p = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < total;
         p += stride) {
        const std::int64_t py = p / a.imageWidth, px = p % a.imageWidth;
        const std::int64_t tileRow = py / (a.height + a.padding), y = py % (a.height + a.padding);
        const std::int64_t tileCol = px / (a.width + a.padding), x = px % (a.width + a.padding);
        const std::int64_t c = tileRow * a.columns + tileCol;
        if (y >= a.height || x >= a.width || c >= a.channels) {
            image[p] = a.lut[256];
            continue;
        }
        const std::int64_t r = a.shared ? a.channels : c;
        float lo = range[2 * r], hi = range[2 * r + 1];
        if (a.diverging) {
            float m = lo <= hi ? fmaxf(fabsf(lo), fabsf(hi)) : 0.0f;
            m = m > 0.0f ? m : 1.0f;
            lo = -m;
            hi = m;
        }
        const bool spread = hi > lo;
        const float base = spread ? lo : 0.0f;
        const float scale = spread ? float(255.0 / (double(hi) - double(lo))) : 0.0f;
        const float v = maps[(c * a.height + y) * a.width + x];
        float t = (v - base) * scale;
        t = t > 0.0f ? t : 0.0f;
        t = t < 255.0f ? t : 255.0f;
        image[p] = a.lut[v != v ? 256 : int(t + 0.5f)];
    }
}

std::string lastError()
{
    const cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? std::string()
                            : std::string("feature map grid: kernel launch failed: ")
                                  + cudaGetErrorString(e);
}

} // namespace

LaunchStatus featureMapGridKernel(const float *maps, const FeatureMapGridKernelArgs &args,
                                  float *range, std::uint32_t *rgba, CudaStream stream)
{
    if (args.channels < 0 || args.height < 0 || args.width < 0 || args.columns < 1
        || args.padding < 0 || args.imageWidth < 0 || args.imageHeight < 0)
        return {"feature map grid: negative size or columns < 1"};
    const std::int64_t total = args.imageWidth * args.imageHeight;
    if (total == 0)
        return {};
    if (!rgba || !range || (args.channels > 0 && !maps))
        return {"feature map grid: null device pointer"};
    const std::int64_t plane = args.height * args.width;
    if (args.channels > 0) {
        channelRanges<<<unsigned(std::min<std::int64_t>(args.channels, 65535)), kThreads, 0,
                        stream>>>(maps, args.channels, plane, range);
        if (args.shared)
            sharedRange<<<1, kThreads, 0, stream>>>(args.channels, range);
        if (auto error = lastError(); !error.empty())
            return {error};
    }
    const auto blocks = unsigned(std::clamp<std::int64_t>((total + kThreads - 1) / kThreads, 1,
                                                          kMaxBlocks));
    draw<<<blocks, kThreads, 0, stream>>>(maps, args, range, rgba);
    return {lastError()};
}

} // namespace lathe::kernels
