#pragma once

#include "core/data/dataset.h"

#include <torch/torch.h>

#include <vector>

namespace lathe::data {

/// Per-channel standardisation: x' = (x - mean[c]) / std[c].
struct Normalization
{
    std::vector<double> mean;
    std::vector<double> std;

    /// Returns (x - mean) / std for x float [B,C,H,W] (or [C,H,W]), per channel; a single
    /// mean/std applies to every channel. Empty mean and std return x unchanged. Throws
    /// c10::Error when the channel counts do not broadcast (a caller bug). Thread-safe.
    torch::Tensor apply(const torch::Tensor &x) const;

    bool operator==(const Normalization &) const = default;
};

/// Measures the per-channel mean and population standard deviation of `dataset`'s samples at
/// `indices` (int64 [n]), reading them in chunks of 4,096 so memory stays small, accumulating
/// in double (Chan's pairwise combination). A channel with zero spread gets std 1 so apply()
/// stays finite; empty indices give mean 0, std 1 per channel. Lets the dataset's own
/// exceptions through (TensorDataset: c10::Error for an index out of range). Thread-safe if
/// the dataset is.
Normalization measureNormalization(const Dataset &dataset, const torch::Tensor &indices);

} // namespace lathe::data
