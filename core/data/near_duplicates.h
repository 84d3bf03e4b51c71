#pragma once

#include "core/util/error.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

namespace lathe::data {

class Dataset;

/// One split of a dataset to search ("train", "test"), by name.
struct NamedSplit
{
    std::string name;
    std::shared_ptr<const Dataset> dataset;
};

/// How close two samples must be to count as near duplicates: both tests must pass.
struct NearDuplicateOptions
{
    /// Most differing bits of the 64-bit perceptual hashes (DCT of the grey image at 32x32,
    /// the 8x8 lowest frequencies against their median). 0 .. 16.
    int maxHamming = 6;
    /// Largest root-mean-square pixel difference (pixels in [0, 1]); one of 784 pixels changed
    /// from black to white is 1/28 = 0.036. 0 keeps only exact copies. 0 .. 1.
    double maxRms = 0.04;
};

/// A sample of one split: split index into the searched list, sample index in that split.
struct SampleRef
{
    int split = 0;
    std::int64_t index = 0;
    std::int64_t label = 0;
    bool operator==(const SampleRef &) const = default;
};

/// Samples connected by near-duplicate pairs (each within the thresholds of another member).
struct DuplicateCluster
{
    std::vector<SampleRef> members; ///< ordered by split, then index
    bool exact = false;             ///< every member byte-identical to the first
    bool mixedLabels = false;       ///< the members do not all carry the same label
    double maxRms = 0.0;            ///< the largest RMS difference of a pair found
};

/// What findNearDuplicates found. pairs[a][b] (a <= b) counts the pairs of samples, one in
/// split a and one in split b, within the thresholds; exactPairs[a][b] those byte-identical.
struct DuplicateReport
{
    std::vector<std::string> splitNames;
    std::vector<std::int64_t> splitSizes;
    std::vector<DuplicateCluster> clusters; ///< ordered by their first member
    std::vector<std::vector<std::int64_t>> pairs;
    std::vector<std::vector<std::int64_t>> exactPairs;
};

/// Progress: `done` of `total` units of work (hashing, then comparing).
using DuplicateProgress = std::function<void(std::int64_t done, std::int64_t total)>;

/// InvalidArgument naming the option when `options` is out of range. Thread-safe.
Result<void> checkNearDuplicateOptions(const NearDuplicateOptions &options);

/// Finds exact copies (sample_hash.h's hash of the 8-bit pixels, confirmed by comparing them)
/// and near copies (perceptual hashes within options.maxHamming bits, confirmed by the RMS
/// pixel difference) within and across `splits`, which must share one sample shape. Hashing
/// is batched; comparing every hash with every other runs on LibTorch's intra-op threads.
/// Cancelled when `stop` is requested; a dataset that throws gives BadInput with its message;
/// InvalidArgument for bad options, no split, or differing shapes. `progress` is called on the
/// calling thread. Never throws; thread-safe as long as the datasets' const methods are.
Result<DuplicateReport> findNearDuplicates(const std::vector<NamedSplit> &splits,
                                           const NearDuplicateOptions &options = {},
                                           std::stop_token stop = {},
                                           const DuplicateProgress &progress = {});

} // namespace lathe::data
