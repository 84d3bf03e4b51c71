// Out-of-sample predicted probabilities for confident learning (core/data/label_issues.h):
// K-fold training, or a held-out model's predictions.
#pragma once

#include "core/data/dataset.h"
#include "core/data/normalization.h"
#include "core/model/net.h"
#include "core/train/run_config.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>

namespace lathe::train {

/// Progress of crossValProbabilities: fold `fold` (0-based) of `folds` is starting.
using FoldProgress = std::function<void(std::int64_t fold, std::int64_t folds)>;

/// Each sample's fold, int64 [N] in [0, folds): stratified (each class dealt round-robin in a
/// random order drawn from `seed`), so every fold sees every class. Thread-safe.
torch::Tensor stratifiedFolds(const torch::Tensor &labels, std::int64_t folds, std::uint64_t seed);

/// float [N, K] softmax probabilities of `net` (eval mode, no gradients) on every sample of
/// `dataset`, normalised by `normalization`, in batches. Cancelled when `stop` is requested.
/// Never throws (LibTorch errors become BadInput).
Result<torch::Tensor> predictProbabilities(model::Net &net,
                                           const data::Normalization &normalization,
                                           const data::Dataset &dataset, std::stop_token stop = {});

/// Trains `config` `folds` times, each on every fold but one, and predicts the held-out fold:
/// float [N, K] out-of-sample probabilities for all of `dataset`. Runs in this thread, writes
/// nothing to a store and no checkpoint; seeds from training.seed like a run (Trainer sets the
/// thread count and the global seed). checkLabelIssueInput's errors for bad folds or classes;
/// the trainer's errors; Cancelled. Never throws.
Result<torch::Tensor> crossValProbabilities(const RunConfig &config,
                                            std::shared_ptr<const data::Dataset> dataset,
                                            std::int64_t folds, std::stop_token stop = {},
                                            const FoldProgress &progress = {});

} // namespace lathe::train
