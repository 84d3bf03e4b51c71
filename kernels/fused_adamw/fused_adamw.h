// Fused multi-tensor Adam / AdamW step: one parallel pass over every parameter of a model,
// with weight decay, bias correction and optional global gradient-norm clipping folded in.
#pragma once

#include "base/error.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace lathe::kernels {

/// Hyperparameters of one step, as torch::optim::AdamOptions / AdamWOptions hold them.
struct AdamWHyper
{
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weightDecay = 0.0;
    bool decoupled = true;    ///< true: AdamW (p *= 1 - lr*wd); false: Adam (g += wd*p)
    double maxGradNorm = 0.0; ///< clip the global L2 norm of all gradients to this; 0 = off
};

/// The tensors of one step: entry i of each list belongs to parameter i and has its shape and
/// device. float32 only. `steps[i]` is parameter i's step count including this step (>= 1),
/// which sets its bias correction. Tensors are updated in place (params, expAvg, expAvgSq);
/// grads are read only (the clipping factor is applied on the fly, not written back).
struct AdamWTensors
{
    std::vector<at::Tensor> params, grads, expAvg, expAvgSq;
    std::vector<std::int64_t> steps;
};

/// Runs one step on the CPU or on the GPU (LibTorch's current stream) by the tensors' device,
/// exactly as torch::optim::AdamW::step() (or Adam::step()) would after
/// torch::nn::utils::clip_grad_norm_(maxGradNorm), up to float rounding. Returns the global L2
/// norm of the gradients before clipping when maxGradNorm > 0 (else 0). When that norm is NaN or
/// infinite nothing is updated and the norm is returned, so the caller can stop the run.
/// Errors (InvalidArgument): lists of different lengths, mismatched shapes or devices, a dtype
/// other than float32, a step < 1, non-finite hyperparameters, CUDA tensors in a build that
/// cannot run CUDA. Thread-safety: none on the same tensors; distinct tensors are independent.
Result<double> fusedAdamW(const AdamWTensors &tensors, const AdamWHyper &hyper);

/// The CPU reference (also the production CPU path): vectorised, all parameters laid end to end
/// and split into equal parts, one per thread (at::parallel_for), run inline when the model is
/// small (< 2^18 floats at 2 threads). Same contract as fusedAdamW() for CPU tensors.
Result<double> fusedAdamWCpu(const AdamWTensors &tensors, const AdamWHyper &hyper);

namespace detail {
/// The checks fusedAdamW() documents, shared by the CPU and CUDA paths.
Result<void> checkAdamW(const AdamWTensors &tensors, const AdamWHyper &hyper);
} // namespace detail

} // namespace lathe::kernels
