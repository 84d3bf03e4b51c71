#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace lathe::formats {

/// Named tensors in a fixed order: a state dict, or the contents of a safetensors file.
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

/// The net's parameters and buffers by their dotted names ("conv1.weight",
/// "bn1.running_mean"), in PyTorch's state_dict order: module by module, each module's
/// parameters then its buffers; an imported model's (ScriptStageImpl) under the names PyTorch
/// gave them, without the stage's name. The tensors are the net's own (not copies).
/// Thread-safety: reads the net; do not call while another thread trains it.
NamedTensors stateDict(const model::Net &net);

/// How loadStateDict treats tensors the net has but the source lacks.
struct LoadOptions
{
    /// Whether parameters and buffers that the source does not hold may keep their values
    /// (a partial load, e.g. a backbone); by default every one must be given.
    bool allowMissing = false;
};

/// Copies `tensors` into the net's parameters and buffers by name, converting between
/// floating dtypes. All-or-nothing: everything is checked first and the net changes only when
/// everything matches. Errors (BadInput, context `source`): names that match no parameter or
/// buffer (the first few listed, with the count), names the net has that `tensors` lacks
/// (unless options.allowMissing), a shape mismatch (naming the tensor and both shapes), a
/// dtype that cannot be converted (integer vs floating), a duplicate name.
/// Thread-safety: writes the net; no other thread may use it meanwhile.
Result<void> loadStateDict(model::Net &net, const NamedTensors &tensors, const std::string &source,
                           const LoadOptions &options = {});

/// "[8, 1, 3, 3]".
std::string shapeString(torch::IntArrayRef shape);

/// Deep copies of the tensors (detached, contiguous, CPU), e.g. to restore weights later.
NamedTensors cloneTensors(const NamedTensors &tensors);

} // namespace lathe::formats
