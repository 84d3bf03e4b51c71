#pragma once

#include "core/train/run_config.h"
#include "core/util/error.h"

#include <torch/optim.h>

namespace lathe::train {

/// Whether the trainer steps with Lathe's fused kernels: training.fused is on and the
/// optimizer is adam or adamw. Thread-safe.
bool usesFusedAdam(const RunConfig &config);

/// One Adam/AdamW step with kernels::fusedAdamW, IN PLACE on `optimizer`'s own parameters and
/// state (exp_avg, exp_avg_sq and step of each parameter, created exactly as torch::optim does
/// when missing), so the optimizer serialises, resumes and continues with step() unchanged.
/// `optimizer` must be a torch::optim::Adam (decoupled = false) or AdamW (decoupled = true)
/// without amsgrad. When maxGradNorm > 0 the gradients are clipped to that global L2 norm
/// (clip_grad_norm_) inside the step. Returns that norm before clipping (0 when not clipping);
/// when it is NaN or infinite nothing is changed and it is returned for the caller to report.
/// Errors (Internal): another optimizer type, amsgrad, a kernel error.
/// Thread-safety: the thread that owns the optimizer, as step().
Result<double> fusedAdamStep(torch::optim::Optimizer &optimizer, bool decoupled,
                             double maxGradNorm);

/// The training loss with kernels::softmaxCrossEntropy and its backward pass: computes the mean
/// label-smoothed cross-entropy of `logits` (cast to float32 first, as for mixed precision)
/// against `targets`, and calls logits.backward() with its gradient times `scale` (the
/// accumulation factor) in the logits' dtype. Returns the unscaled loss (0-dim float32).
/// Errors: the kernel's (InvalidArgument, e.g. a target outside the classes).
/// Thread-safety: the training thread, as backward().
Result<torch::Tensor> fusedCrossEntropyBackward(const torch::Tensor &logits,
                                                const torch::Tensor &targets,
                                                double labelSmoothing, double scale);

} // namespace lathe::train
