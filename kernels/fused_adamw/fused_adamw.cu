// Fused Adam / AdamW, CUDA kernels and launchers. Maths as in fused_adamw_cpu.cpp (same float32
// operation order). Layout: each parameter is `numel` dense floats in storage order; a launch
// covers up to kMaxTensors parameters passed by value in the kernel arguments, on a 2-D grid
// (x: grid-stride over one parameter's elements, y: the parameter). Scalar loads only, so no
// alignment precondition. The gradient norm is a per-block reduction in double, then one
// atomicAdd per block (double atomics: sm_60+, built for sm_80/sm_90).
// Test tolerance (tst_kernels_cuda, against the CPU reference): atol 1e-6 + rtol 1e-5.
#include "kernels/fused_adamw/fused_adamw_cuda.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <string>

namespace lathe::kernels {

namespace {

constexpr int kMaxTensors = 32;
constexpr int kThreads = 256;
constexpr int kMaxBlocksX = 1024;

struct TensorBatch
{
    AdamWKernelTensor tensors[kMaxTensors];
    int count;
};

template<bool kDecoupled>
__global__ void adamWStep(TensorBatch batch, AdamWKernelScalars k)
{
    const AdamWKernelTensor t = batch.tensors[blockIdx.y];
    const float oneMinusBeta1 = 1.0f - k.beta1;
    const float oneMinusBeta2 = 1.0f - k.beta2;
    const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
    for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < t.numel;
         i += stride) {
        float grad = t.grad[i] * k.gradScale;
        float param = t.param[i];
        if (kDecoupled)
            param = param * k.decayFactor;
        else
            grad = grad + k.weightDecay * param;
        const float m = t.expAvg[i] * k.beta1 + oneMinusBeta1 * grad;
        const float v = t.expAvgSq[i] * k.beta2 + oneMinusBeta2 * grad * grad;
        const float denom = sqrtf(v) / t.biasCorrection2Sqrt + k.eps;
        t.expAvg[i] = m;
        t.expAvgSq[i] = v;
        t.param[i] = param + (-t.stepSize) * m / denom;
    }
}

__global__ void gradSquares(TensorBatch batch, double *out)
{
    __shared__ double partial[kThreads];
    const AdamWKernelTensor t = batch.tensors[blockIdx.y];
    const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
    double sum = 0.0;
    for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < t.numel;
         i += stride) {
        const double g = t.grad[i];
        sum += g * g;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int width = blockDim.x / 2; width > 0; width /= 2) {
        if (int(threadIdx.x) < width)
            partial[threadIdx.x] += partial[threadIdx.x + width];
        __syncthreads();
    }
    if (threadIdx.x == 0 && partial[0] != 0.0)
        atomicAdd(out, partial[0]);
}

std::string checkList(const AdamWKernelTensor *tensors, int count)
{
    if (count < 0 || (count > 0 && tensors == nullptr))
        return "fused Adam: null tensor list or negative count";
    for (int i = 0; i < count; ++i) {
        const auto &t = tensors[i];
        if (t.numel < 0)
            return "fused Adam: negative size for parameter " + std::to_string(i);
        if (t.numel > 0 && (!t.param || !t.grad || !t.expAvg || !t.expAvgSq))
            return "fused Adam: null device pointer for parameter " + std::to_string(i);
    }
    return {};
}

/// Calls launch(batch, grid) for each group of up to kMaxTensors parameters.
template<typename Launch>
std::string forEachBatch(const AdamWKernelTensor *tensors, int count, Launch launch)
{
    for (int first = 0; first < count; first += kMaxTensors) {
        TensorBatch batch{};
        batch.count = std::min(kMaxTensors, count - first);
        std::int64_t largest = 0;
        for (int i = 0; i < batch.count; ++i) {
            batch.tensors[i] = tensors[first + i];
            largest = std::max(largest, tensors[first + i].numel);
        }
        if (largest == 0)
            continue;
        const auto blocks = std::min<std::int64_t>((largest + kThreads - 1) / kThreads,
                                                   kMaxBlocksX);
        launch(batch, dim3(unsigned(blocks), unsigned(batch.count)));
        if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess)
            return std::string("fused Adam: kernel launch failed: ") + cudaGetErrorString(e);
    }
    return {};
}

} // namespace

LaunchStatus adamWGradSquaresKernel(const AdamWKernelTensor *tensors, int count,
                                    double *sumSquares, CudaStream stream)
{
    if (!sumSquares)
        return {"fused Adam: null output pointer"};
    if (auto error = checkList(tensors, count); !error.empty())
        return {error};
    double *device = nullptr;
    if (cudaError_t e = cudaMallocAsync(&device, sizeof(double), stream); e != cudaSuccess)
        return {std::string("fused Adam: cudaMallocAsync: ") + cudaGetErrorString(e)};
    cudaMemsetAsync(device, 0, sizeof(double), stream);
    std::string error = forEachBatch(tensors, count, [&](const TensorBatch &batch, dim3 grid) {
        gradSquares<<<grid, kThreads, 0, stream>>>(batch, device);
    });
    cudaMemcpyAsync(sumSquares, device, sizeof(double), cudaMemcpyDeviceToHost, stream);
    cudaFreeAsync(device, stream);
    const cudaError_t e = cudaStreamSynchronize(stream);
    if (error.empty() && e != cudaSuccess)
        error = std::string("fused Adam: gradient norm failed: ") + cudaGetErrorString(e);
    return {error};
}

LaunchStatus fusedAdamWKernel(const AdamWKernelTensor *tensors, int count,
                              const AdamWKernelScalars &scalars, CudaStream stream)
{
    if (auto error = checkList(tensors, count); !error.empty())
        return {error};
    return {forEachBatch(tensors, count, [&](const TensorBatch &batch, dim3 grid) {
        if (scalars.decoupled)
            adamWStep<true><<<grid, kThreads, 0, stream>>>(batch, scalars);
        else
            adamWStep<false><<<grid, kThreads, 0, stream>>>(batch, scalars);
    })};
}

} // namespace lathe::kernels
