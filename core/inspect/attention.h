// Attention: what each head of a vision transformer's layers attends to from the class token,
// and attention rollout across layers (Abnar & Zuidema, 2020).
#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace lathe::inspect {

/// The attention weights of one input. Token 0 is the class token, tokens 1.. the patches in
/// row-major order over a gridHeight x gridWidth grid.
struct AttentionMaps
{
    std::vector<torch::Tensor> layers; ///< per layer [heads, T, T]; each row sums to 1
    torch::Tensor rollout;             ///< [T, T]: (0.5 I + 0.5 mean_heads A), multiplied
                                       ///< over layers, rows renormalised
    std::int64_t gridHeight = 0, gridWidth = 0;

    /// The class token's attention to the patches in `layer` as [gridHeight, gridWidth];
    /// `head` < 0 averages the heads. Needs layer < layers.size() and head < heads (LibTorch
    /// throws otherwise).
    torch::Tensor classMap(std::size_t layer, std::int64_t head = -1) const;
    /// The class token's row of the rollout as [gridHeight, gridWidth].
    torch::Tensor rolloutMap() const;
};

/// Runs `net` (an attention model, e.g. vit-tiny) on `input` ([1,C,H,W], prepared) recording
/// its attention (Taps::recordAttention), in eval mode without gradients; the net's training
/// mode is restored. The patch grid follows from H, W and the token count (square patches).
/// InvalidArgument naming the architecture when the net has no attention, and for an input
/// that is not one image or that LibTorch refuses. Not thread-safe for one net (see Net).
Result<AttentionMaps> attentionMaps(model::Net &net, const torch::Tensor &input);

} // namespace lathe::inspect
