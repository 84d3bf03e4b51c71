// One way to open a stored run: its config, data, network (with a checkpoint's weights),
// normalisation and checkpoints, for inspection, evaluation, export and fine-tuning.
#pragma once

#include "core/train/run_setup.h"
#include "core/train/stored_run.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lathe::train {

/// A stored run opened at one checkpoint: the network on the CPU in eval mode with the
/// checkpoint's weights, and the data and preprocessing it was trained with. Not thread-safe
/// (use one per thread, or one at a time).
struct OpenedRun
{
    track::RunInfo run;
    RunConfig config;
    TrainData data;                    ///< the run's datasets (data.test may be null)
    model::Net net{nullptr};           ///< on the CPU, in eval mode, the checkpoint's weights
    data::Normalization normalization; ///< as the run's loaders applied it
    data::SplitIndices split;          ///< the run's train/validation split of data.train
    std::vector<std::string> classNames;
    std::vector<std::int64_t> inputShape; ///< {C, H, W}
    std::vector<CheckpointInfo> checkpoints;
    CheckpointInfo checkpoint;  ///< the one loaded
    std::string checkpointNote; ///< why `checkpoint` when the caller chose none; else empty

    /// The network input for raw images ([C,H,W] or [B,C,H,W] float in [0,1], as
    /// Dataset::images returns them): a [B,C,H,W] batch, normalised like training.
    torch::Tensor prepare(const torch::Tensor &images) const;
    /// Test image `index` as the dataset stores it ([C,H,W] float in [0,1]); InvalidArgument
    /// naming the index and the test-set size when out of range or there is no test set.
    Result<torch::Tensor> testImage(std::int64_t index) const;
};

/// Opens run `idOrName` of the store at `db` at checkpoint `checkpoint` (see storedCheckpoint;
/// empty = best, else last). Builds the network and data through setUpRun, so exactly as
/// training did, and loads the checkpoint's weights only. Touches no global state: no thread
/// count, no seed, and no draw from LibTorch's global generator (the throwaway initial weights
/// come from a ThreadGeneratorScope), so a run training on another thread is unaffected.
/// Errors name the run and the file: no such run, checkpoint (storedCheckpoint's errors), a
/// checkpoint that does not match the architecture, missing data. Never throws; thread-safe
/// (opens its own store connection).
Result<OpenedRun> openRun(const std::filesystem::path &db, const std::string &idOrName,
                          const std::string &checkpoint = {});

} // namespace lathe::train
