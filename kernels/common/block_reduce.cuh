// Block-wide reductions for the .cu files (no LibTorch): warp shuffles, then one value per
// warp through shared memory. Every thread of the block must call them (they synchronise),
// blockDim.x must be a multiple of 32 and at most 1024; all threads get the result.
#pragma once

#include <cuda_runtime.h>

namespace lathe::kernels::cuda {

template<typename T, typename Op>
__device__ T blockReduce(T value, Op op, T identity)
{
    __shared__ T perWarp[32];
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    for (int offset = 16; offset > 0; offset /= 2)
        value = op(value, __shfl_down_sync(0xffffffffu, value, offset));
    __syncthreads(); // perWarp may still be read by a previous call
    if (lane == 0)
        perWarp[warp] = value;
    __syncthreads();
    const unsigned warps = (blockDim.x + 31) / 32;
    value = threadIdx.x < warps ? perWarp[threadIdx.x] : identity;
    if (warp == 0)
        for (int offset = 16; offset > 0; offset /= 2)
            value = op(value, __shfl_down_sync(0xffffffffu, value, offset));
    if (threadIdx.x == 0)
        perWarp[0] = value;
    __syncthreads();
    return perWarp[0];
}

struct Sum
{
    template<typename T>
    __device__ T operator()(T a, T b) const { return a + b; }
};

/// max that propagates NaN (as LibTorch's max does).
struct MaxNan
{
    __device__ float operator()(float a, float b) const
    {
        return (a != a || a > b) ? a : b;
    }
};

} // namespace lathe::kernels::cuda
