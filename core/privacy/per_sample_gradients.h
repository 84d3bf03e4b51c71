// Per-example gradients of a Net in one forward and one backward pass (never one pass per
// example): each trainable layer's input is kept, the gradient of the summed loss with respect
// to its output is taken, and the per-example weight gradients follow from the two as Opacus
// computes them: an outer product summed over positions for Linear, the same over unfolded
// patches for Conv2d (im2col), the normalised input times the output gradient for GroupNorm
// and LayerNorm.
#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace lathe::privacy {

/// The per-example gradients of one Net's trainable parameters. Not thread-safe (as the Net).
class PerSampleGradients
{
public:
    /// The trainable layers of `net`. InvalidArgument naming the layer when one cannot have
    /// per-example gradients: batch norm anywhere (it mixes the examples of a batch; the message
    /// offers the zoo's "cnn-gn"), or a stage with trainable parameters that is not a Linear,
    /// Conv2d, GroupNorm or LayerNorm (an imported model, LoRA, a transformer block).
    static Result<PerSampleGradients> create(model::Net &net);

    /// For x [B, ...] and labels y [B]: the gradient of each example's cross-entropy (label
    /// smoothing `smoothing`) for every trainable parameter, [B, ...parameter shape], in
    /// parameters() order. `logits` gets the detached outputs and `lossSum` the summed loss.
    /// A Linear weight's gradients are written into a buffer kept for the next call (a fresh
    /// tensor of that size each pass is mapped and zeroed by the kernel every time): use the
    /// result before calling compute() again.
    Result<std::vector<torch::Tensor>> compute(model::Net &net, const torch::Tensor &x,
                                               const torch::Tensor &y, double smoothing,
                                               torch::Tensor &logits, double &lossSum) const;

    /// The trainable parameters, in the order compute() returns their gradients.
    const std::vector<torch::Tensor> &parameters() const { return m_parameters; }

    enum class Kind { Linear, Conv2d, GroupNorm, LayerNorm };

private:
    struct Layer
    {
        std::string stage;
        std::string input; ///< the stage whose output feeds it; empty: the network's input
        Kind kind;
        std::shared_ptr<torch::nn::Module> module;
        bool weight = false; ///< the weight is trainable (its gradient is returned)
        bool bias = false;   ///< the bias exists and is trainable
    };
    std::vector<Layer> m_layers;
    std::vector<torch::Tensor> m_parameters;
    mutable std::vector<torch::Tensor> m_buffers; ///< per layer: its last per-example weight
};

} // namespace lathe::privacy
