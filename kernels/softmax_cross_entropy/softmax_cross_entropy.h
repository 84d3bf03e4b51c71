// Fused softmax cross-entropy with label smoothing: loss and gradient in one pass over the
// logits, for training without autograd's log_softmax + nll_loss graph.
#pragma once

#include "base/error.h"

#include <ATen/core/Tensor.h>

namespace lathe::kernels {

/// The result of softmaxCrossEntropy(): the mean loss (0-dim float32 tensor on the logits'
/// device) and its gradient with respect to the logits, already multiplied by gradScale.
struct SoftmaxCrossEntropy
{
    at::Tensor loss;
    at::Tensor grad;
};

/// Mean over the N rows of -sum_c q_c log softmax(z)_c with q = (1-s)*onehot(y) + s/C (s =
/// labelSmoothing), exactly what torch::nn::functional::cross_entropy(label_smoothing(s))
/// returns, and grad = gradScale * (softmax(z) - q) / N. `logits` is [N, C] float32 (any
/// strides), `targets` [N] int64 class indices on the same device. A row holding NaN or +Inf
/// gives a NaN loss (as LibTorch). Errors (InvalidArgument): wrong ranks, dtypes or devices,
/// a target outside [0, C), s outside [0, 1), CUDA tensors in a build without CUDA.
/// Thread-safety: pure function of its inputs.
Result<SoftmaxCrossEntropy> softmaxCrossEntropy(const at::Tensor &logits, const at::Tensor &targets,
                                                double labelSmoothing, double gradScale = 1.0);

/// The CPU reference (also the production CPU path): rows in parallel (at::parallel_for), each
/// row's passes vectorised. Same contract as softmaxCrossEntropy() for CPU tensors.
Result<SoftmaxCrossEntropy> softmaxCrossEntropyCpu(const at::Tensor &logits,
                                                   const at::Tensor &targets, double labelSmoothing,
                                                   double gradScale = 1.0);

namespace detail {
/// The checks softmaxCrossEntropy() documents except the target range (checked in the pass).
Result<void> checkSoftmaxCrossEntropy(const at::Tensor &logits, const at::Tensor &targets,
                                      double labelSmoothing);
} // namespace detail

} // namespace lathe::kernels
