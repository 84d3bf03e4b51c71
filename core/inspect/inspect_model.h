// A run's network restored from one of its checkpoints, with the preprocessing it was trained
// with: what every inspection (feature maps, attributions, errors, attention) starts from.
#pragma once

#include "core/data/dataset.h"
#include "core/data/normalization.h"
#include "core/model/net.h"
#include "core/train/run_config.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lathe::inspect {

/// A checkpoint of a run that can be inspected: "best", "last" or "epoch-N" (the file
/// runs/<id>/<name>.pt), with what its TrainState says.
struct CheckpointInfo
{
    std::string name;
    std::filesystem::path path;
    std::int64_t epoch = 0; ///< epochs completed when it was written
    std::int64_t step = 0;
};

/// The checkpoints of run `runId` in the store at `db` that exist on disk, "best" and "last"
/// first, then "epoch-N" by N. Empty when there are none (a run that never reached an epoch).
std::vector<CheckpointInfo> listCheckpoints(const std::filesystem::path &db, std::int64_t runId);

/// The model and data of one checkpoint, on the CPU, in eval mode. Not thread-safe (one
/// inspection at a time per InspectModel; load one per thread).
struct InspectModel
{
    std::int64_t runId = 0;
    std::string runName;
    train::RunConfig config;
    CheckpointInfo checkpoint;
    model::Net net{nullptr};
    data::Normalization normalization;           ///< as the run's loaders applied it
    std::shared_ptr<const data::Dataset> test;  ///< the run's test set (may be null)
    std::vector<std::string> classNames;
    std::vector<std::int64_t> inputShape;       ///< {C, H, W}

    /// The network input for raw images ([C,H,W] or [B,C,H,W] float in [0,1], as
    /// Dataset::images returns them): a [B,C,H,W] batch, normalised like training.
    torch::Tensor prepare(const torch::Tensor &images) const;
    /// Test image `index` as the dataset stores it ([C,H,W] float in [0,1]); InvalidArgument
    /// naming the index and the test-set size when out of range or there is no test set.
    Result<torch::Tensor> testImage(std::int64_t index) const;
};

/// Loads run `idOrName` of the store at `db` from checkpoint `checkpoint` ("best", "last" or
/// "epoch-N"). Errors name the run and the file: no such run, no such checkpoint (listing
/// those that exist), a checkpoint that does not match the run's architecture, missing data.
Result<InspectModel> loadInspectModel(const std::filesystem::path &db,
                                      const std::string &idOrName,
                                      const std::string &checkpoint = "best");

} // namespace lathe::inspect
