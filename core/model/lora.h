#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::model {

/// A Linear layer with a trainable low-rank update (LoRA, Hu et al. 2021):
/// y = base(x) + (alpha / rank) * B A dropout(x), A [rank, in] Kaiming-uniform, B [out, rank]
/// zeros, so a fresh adapter leaves the output unchanged. The base's weight and bias are frozen
/// (requires_grad false). Parameters: "base.weight", "base.bias", "lora_a", "lora_b". Not
/// thread-safe (a module).
class LoraLinearImpl : public torch::nn::Module
{
public:
    LoraLinearImpl(torch::nn::Linear base, std::int64_t rank, double alpha, double dropout);
    torch::Tensor forward(const torch::Tensor &x);
    /// base.weight + (alpha / rank) B A: the plain Linear weight this layer computes (eval).
    torch::Tensor mergedWeight() const;
    const torch::nn::Linear &base() const { return m_base; }

private:
    torch::nn::Linear m_base;
    torch::Tensor m_a, m_b;
    torch::nn::Dropout m_dropout;
    double m_scale;
};
TORCH_MODULE(LoraLinear);

/// Wraps the Linear stages named in `targets` (every Linear stage when empty) in LoRA adapters,
/// and has a LayeredStage (an imported model) adapt the layers named (all when empty),
/// and returns their names. InvalidArgument (context "finetune.lora_targets") when a target is
/// neither a Linear stage nor a layer, or covers nothing adaptable; (context
/// "finetune.lora_rank") when the net has nothing to adapt. Never throws.
Result<std::vector<std::string>> applyLora(Net &net, std::int64_t rank, double alpha,
                                           double dropout, const std::vector<std::string> &targets);

/// Replaces every LoRA stage by a plain Linear holding its merged weight (the form export
/// writes), and returns how many were merged. Outputs are unchanged in eval mode.
std::int64_t mergeLora(Net &net);

} // namespace lathe::model
