#pragma once

#include "core/data/unreadable_item.h"
#include "core/util/error.h"

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

namespace lathe::data {

class Dataset;

/// Samples whose pixels are byte-for-byte identical (indices ascending).
struct DuplicateGroup
{
    std::vector<std::int64_t> indices;
    std::int64_t label = 0;   ///< label of the first copy
    bool mixedLabels = false; ///< the copies do not all carry the same label
};

/// What computeDatasetStats measured. Plain values, safe to copy across threads.
struct DatasetStats
{
    std::int64_t count = 0;
    std::vector<std::int64_t> sampleShape; ///< {C,H,W}
    std::vector<std::string> classNames;
    std::vector<std::int64_t> classCounts;  ///< one per class name
    std::vector<double> mean;               ///< per channel, pixels in [0, 1]
    std::vector<double> std;                ///< per channel, population std (divide by n)
    std::vector<DuplicateGroup> duplicates; ///< groups of >= 2, ordered by first index
    std::vector<UnreadableItem> unreadable; ///< from the reader (ImageFolderDataset)

    /// Samples that are a copy of an earlier one: sum over groups of (size - 1).
    std::int64_t redundantSamples() const;
};

/// Progress of computeDatasetStats: `done` of `total` samples seen.
using StatsProgress = std::function<void(std::int64_t done, std::int64_t total)>;

/// Reads every sample once, in chunks, and measures class counts, per-channel mean/std and
/// exact duplicates (a 64-bit hash of each sample's stored pixels, confirmed by comparing the
/// pixels, so hash collisions never merge different images). uint8 TensorDatasets are hashed
/// on their raw bytes; other datasets on their float32 samples. Unreadable items are copied from
/// an ImageFolderDataset (other datasets have none). Cancelled when `stop` is requested (checked
/// between chunks); a dataset that throws gives BadInput with its message. `progress`
/// (optional) is called on the calling thread after each chunk. Never throws; thread-safe as
/// long as the dataset's const methods are.
Result<DatasetStats> computeDatasetStats(const Dataset &dataset, std::stop_token stop = {},
                                         const StatsProgress &progress = {});

} // namespace lathe::data
