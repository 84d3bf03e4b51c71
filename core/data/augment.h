#pragma once

#include "core/data/augment_config.h"

#include <torch/torch.h>

#include <cstdint>

namespace lathe::data {

/// Applies `config` to a float batch [B,C,H,W] and returns a new float32 tensor of the same
/// shape on the batch's device, never modifying `batch`. Ops run in this order, each skipped
/// when its parameter is 0: random crop (zero-pad then per-sample offset), horizontal flip,
/// rotation + translation (one affine_grid + grid_sample: bilinear, zero padding,
/// align_corners false), random erasing (zeros, 2%..eraseMaxArea of the image, aspect
/// 0.3..3.3). Per-sample parameters come from a SplitMix64 stream per op seeded by `seed`, so
/// toggling one op leaves the others' draws unchanged.
/// Deterministic: the same batch, config and seed give the same output on any thread.
/// Returns `batch` unchanged when config.enabled is false, every op is off, or the batch is
/// not a non-empty 4-D floating-point tensor. Throws only on out-of-memory. Thread-safe (no
/// shared state).
torch::Tensor augmentBatch(const torch::Tensor &batch, const AugmentConfig &config,
                           std::uint64_t seed);

} // namespace lathe::data
