#pragma once

#include "core/train/run_config.h"
#include "core/util/error.h"

#include <torch/optim.h>

#include <memory>
#include <string>
#include <vector>

namespace lathe::train {

/// Builds the optimizer `config.name` over `params` (one parameter group):
/// sgd (momentum, dampening 0, nesterov, L2 weight decay), adam (L2 weight decay), adamw
/// (decoupled weight decay), rmsprop (alpha, eps, momentum, not centered).
/// Errors (InvalidArgument, context the dotted key, e.g. "optimizer.nesterov"): an unknown
/// name, a non-positive or non-finite lr, nesterov without momentum, no parameters, or any
/// value LibTorch rejects. Never throws; thread-safe (no shared state).
Result<std::unique_ptr<torch::optim::Optimizer>> makeOptimizer(const OptimizerConfig &config,
                                                               std::vector<torch::Tensor> params);

/// Sets the learning rate of parameter group i to lr * scales[i] (1 past the end of `scales`).
/// Same threading rule as setLearningRate().
void setLearningRates(torch::optim::Optimizer &optimizer, double lr,
                      const std::vector<double> &scales);

/// Sets the learning rate of every parameter group. Call it from the thread that steps the
/// optimizer (not concurrently with step()).
void setLearningRate(torch::optim::Optimizer &optimizer, double lr);

/// Sets the weight decay of every parameter group (any of the four optimizers). Same threading
/// rule as setLearningRate().
void setWeightDecay(torch::optim::Optimizer &optimizer, double weightDecay);

/// The learning rate of the first parameter group (0 when there is none). Same threading rule
/// as setLearningRate().
double learningRate(const torch::optim::Optimizer &optimizer);

} // namespace lathe::train
