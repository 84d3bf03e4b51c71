#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace lathe::data {

/// Positions into a label tensor, int64 [n], sorted ascending.
struct SplitIndices
{
    torch::Tensor train;
    torch::Tensor val;
};

/// Splits positions 0..N-1 of `labels` (integer [N]) into train and validation, class by class:
/// each class's positions are shuffled by a generator seeded from `seed` and the class's
/// value, and round(count * valFraction) of them go to val. So the class proportions are kept,
/// the result depends only on (labels, valFraction, seed) on every platform, and valFraction 0
/// gives an empty val. valFraction is clamped to [0, 1]; undefined or empty labels give two
/// empty tensors. Never throws; thread-safe.
SplitIndices stratifiedSplit(const torch::Tensor &labels, double valFraction, std::uint64_t seed);

} // namespace lathe::data
