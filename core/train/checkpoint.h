#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace lathe::train {

/// Where a run is, exactly enough to continue it bit-for-bit.
struct TrainState
{
    std::int64_t step = 0;         ///< optimizer steps done
    std::int64_t epoch = 0;        ///< current epoch (0-based)
    std::int64_t batchInEpoch = 0; ///< micro-batches of `epoch` already consumed
    double bestValAccuracy = -1.0;
    std::int64_t epochsWithoutImprovement = 0;
    nlohmann::json plateau = nlohmann::json::object(); ///< PlateauTracker::state()
    std::string configJson;        ///< the run's RunConfig, as trained
};

/// Writes model weights and buffers, optimizer state, `state` and the global CPU RNG state to
/// `path` atomically (a temporary file renamed into place, so a crash never leaves a half
/// file). Io error naming the path on failure. Call from the training thread.
Result<void> saveCheckpoint(const std::filesystem::path &path, model::Net &net,
                            torch::optim::Optimizer &optimizer, const TrainState &state);

/// Reads `path` into `net` (and `optimizer` and the global CPU RNG when `optimizer` is not
/// null, for resuming). The net must have the architecture the checkpoint was written from.
/// BadInput naming the file when it is not a Lathe checkpoint or does not match the net.
Result<TrainState> loadCheckpoint(const std::filesystem::path &path, model::Net &net,
                                  torch::optim::Optimizer *optimizer);

/// Reads only the TrainState of a checkpoint (for the config it was trained with).
Result<TrainState> readCheckpointState(const std::filesystem::path &path);

} // namespace lathe::train
