// TorchScript export: a Net written as a self-contained torch.jit archive that LibTorch and
// PyTorch load without Lathe.
#pragma once

#include "core/util/error.h"

#include <torch/script.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace lathe::model {
class Net;
}

namespace lathe::formats {

/// Writes `net` as a TorchScript module "LatheNet" (a net that is one imported model: that
/// module itself, fine-tuned, LoRA merged, in eval mode) whose forward(x) takes float32
/// [batch, inputShape...] and returns what net->forward returns in eval mode (any batch size).
/// Built from aten ops (stage_ops.h: dropout dropped, batch norm folded into the preceding
/// convolution); the parameters are copies, attributes of the module. Written through an
/// AtomicFile (atomic_file.h; its folder is created), so `file` is either the old one or
/// complete. Errors (context: the file): InvalidArgument naming the stage when a stage has no
/// TorchScript mapping or the shape does not fit; Io when the file cannot be written. Never
/// throws. Not thread-safe with respect to `net` (it is switched to eval mode for a probe
/// forward pass and back); distinct nets may be exported from several threads at once.
Result<void> writeTorchScript(model::Net &net, const std::vector<std::int64_t> &inputShape,
                              const std::filesystem::path &file);

/// Loads a TorchScript module (on the CPU) that has a forward method. Errors, each naming the
/// file in their context: NotFound when it does not exist; BadInput when it is a directory,
/// not a TorchScript archive (random bytes, another zip, a torch::save'd tensor) or a module
/// without forward. Never throws; thread-safe.
Result<torch::jit::Module> loadTorchScript(const std::filesystem::path &file);

} // namespace lathe::formats
