// What a run's config makes of its data before anything trains: the datasets, the
// train/validation split, the normalisation and the network. Training and opening a stored run
// (train::openRun) share it, so an inspected network is built exactly as it was trained.
#pragma once

#include "core/data/dataset.h"
#include "core/data/normalization.h"
#include "core/data/split.h"
#include "core/train/finetune.h"
#include "core/train/run_config.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>

namespace lathe::train {

/// The data a run trains and evaluates on: `train` is split into train/validation by the
/// config; `test` (may be null) is evaluated once at the end.
struct TrainData
{
    std::shared_ptr<const data::Dataset> train;
    std::shared_ptr<const data::Dataset> test;
};

/// Loads the datasets `config` names (Fashion-MNIST from data.path, cut to data.subset).
/// Errors name the files and say how to get them. Never throws.
Result<TrainData> loadTrainData(const DataConfig &config);

/// A run set up on its data, before any optimizer, loader or thread exists.
struct RunSetUp
{
    model::Net net{nullptr};        ///< on the CPU, fine-tune applied (prepareModel)
    nlohmann::json fineTuneSummary; ///< what prepareModel did (null for a plain run)
    data::SplitIndices split;       ///< data.val_fraction of `train`, seeded by training.seed
    data::Normalization
        normalization; ///< measured on split.train (identity without data.normalize)
    std::int64_t numClasses = 0;
};

/// Builds the network (initial weights from `sources`, else drawn from the calling thread's
/// default generator: LibTorch's global one, or a ThreadGeneratorScope's), the split and the
/// normalisation of `config` on `data`. Touches no other global state: no thread count, no seed.
/// InvalidArgument for an empty training set; errors of prepareModel. May throw what LibTorch
/// throws (callers catch at their boundary). Thread-safe for distinct arguments.
Result<RunSetUp> setUpRun(const RunConfig &config, const TrainData &data,
                          const FineTuneSources &sources);

} // namespace lathe::train
