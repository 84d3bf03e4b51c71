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
#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

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

/// The tag every K-fold run has besides its group's repeat: tag.
inline constexpr std::string_view kFoldRunTag = "kfold";
/// The event a K-fold run stores: {"group", "fold" (1-based), "folds", "train_samples",
/// "held_out_samples", "fold_seed", "dataset"}.
inline constexpr std::string_view kFoldEvent = "kfold";

/// Where crossValidate stores its trainings.
struct FoldRunOptions
{
    std::filesystem::path db; ///< the experiment store; empty: train in memory, store nothing
    std::string name;         ///< runs "<name>-fold<k>"; empty: the config's name
};

/// K-fold cross-validation, each fold's training stored as a run.
struct CrossValidation
{
    torch::Tensor probs; ///< float [N, K] out-of-sample probabilities
    /// The fold runs' repeat group ("<name>-<K>fold-<local time>", tag repeat:<group>); empty
    /// when nothing is stored.
    std::string group;
    std::vector<std::int64_t> runIds; ///< fold k's run (0-based k); empty when nothing is stored
};

/// crossValProbabilities, with each fold trained as a run of the store at `runs.db` (as any run:
/// its config, metrics, checkpoints; test metrics on its held-out fold), named
/// "<name>-fold<k>", tagged kFoldRunTag and repeat:<group> (so `compare --group-by repeat` and
/// the Runs panel show the K runs as one group), with a kFoldEvent. Bad input (folds, classes,
/// config) is refused before any run row exists; a fold that fails or is cancelled deletes the
/// runs this call created (rows and checkpoint folders), so the store keeps whole groups only.
/// Never throws.
Result<CrossValidation> crossValidate(const RunConfig &config,
                                      std::shared_ptr<const data::Dataset> dataset,
                                      std::int64_t folds, const FoldRunOptions &runs,
                                      std::stop_token stop = {}, const FoldProgress &progress = {});

} // namespace lathe::train
