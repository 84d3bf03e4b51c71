// One way to open a stored run: its config, data, network (with a checkpoint's weights),
// normalisation and checkpoints, for inspection, evaluation, export and fine-tuning.
#pragma once

#include "core/track/run_store.h"
#include "core/train/run_config.h"
#include "core/train/run_setup.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lathe::train {

/// Where a run's files (checkpoints) live: <db folder>/runs/<id>.
std::filesystem::path runDirectory(const std::filesystem::path &db, std::int64_t runId);

/// The config run `run` was trained with (as stored, steering included). BadInput naming the
/// run when the stored JSON is not a valid config. Never throws; thread-safe.
Result<RunConfig> storedConfig(const track::RunInfo &run);

/// A checkpoint of a stored run as the store records it: the latest "checkpoint-<name>"
/// artifact (RunRecorder adds one, with the file's SHA-256, each time the trainer writes it).
/// The store is the one source of truth: a file in runs/<id>/ without an artifact is not a
/// checkpoint, and every store since the first schema records them.
struct CheckpointInfo
{
    std::string name;           ///< "best", "last" or "epoch-N"
    std::filesystem::path path; ///< the recorded path (or runs/<id>/<name>.pt if the store moved)
    std::string sha256;         ///< recorded when written; empty if the file could not be read
    std::int64_t epoch = 0;     ///< epochs completed when written (0 when the file is missing)
    std::int64_t step = 0;
    bool missing = false; ///< the file is gone
};

/// The checkpoints `store` records for run `runId` ("best" and "last" first, then "epoch-N" by
/// N), each with the position its file says. Empty for a run that wrote none. Errors of the
/// store. Not thread-safe (the store is not).
Result<std::vector<CheckpointInfo>>
listCheckpoints(track::RunStore &store, const std::filesystem::path &db, std::int64_t runId);
/// As above, opening the store at `db` for the call (on the calling thread: never the GUI's).
Result<std::vector<CheckpointInfo>> listCheckpoints(const std::filesystem::path &db,
                                                    std::int64_t runId);

/// The checkpoint of `run` to load: `requested` ("best", "last" or "epoch-N"), or when it is
/// empty the default, "best", else "last". `note` (if given) receives which one and why for a
/// default, and stays empty for an explicit choice; `listed` (if given) every recorded one. The
/// file is checked against its recorded SHA-256. NotFound listing the recorded checkpoints for one
/// the run does not have (or none); InvalidArgument for a name that is not a checkpoint name;
/// BadInput for a missing file or one whose SHA-256 differs from the recorded one (changed or
/// replaced since it was written). Not thread-safe (the store is not).
Result<CheckpointInfo> storedCheckpoint(track::RunStore &store, const std::filesystem::path &db,
                                        const track::RunInfo &run, const std::string &requested,
                                        std::string *note = nullptr,
                                        std::vector<CheckpointInfo> *listed = nullptr);

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
