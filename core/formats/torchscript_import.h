#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace lathe::formats {

/// A TorchScript module (saved by PyTorch's torch.jit.save) as one stage of a Net, trained
/// further in LibTorch: its parameters and buffers are registered as this module's own
/// (the same tensors, so the optimizer updates the script's weights and checkpoints hold them),
/// with '.' in their names written '_'. train()/eval() reach the script. Not thread-safe.
class ScriptStageImpl : public torch::nn::Module
{
public:
    explicit ScriptStageImpl(torch::jit::Module module);
    torch::Tensor forward(const torch::Tensor &x);
    void train(bool on = true) override;

private:
    torch::jit::Module m_module;
};
TORCH_MODULE(ScriptStage);

/// Loads `file` (loadTorchScript) as a Net named "torchscript": stage "backbone" (the script)
/// and, when the script's output for one input of `inputShape` is not [1, numClasses], stages
/// "flatten" and a new Linear "head" from its output size to numClasses. Errors (context the
/// file): loadTorchScript's, and BadInput for a forward that fails on an input of this shape
/// or does not return one tensor [1, features]. Never throws.
Result<model::Net> netFromTorchScript(const std::filesystem::path &file,
                               const std::vector<std::int64_t> &inputShape,
                               std::int64_t numClasses);

} // namespace lathe::formats
