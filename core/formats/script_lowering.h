// Internal to core/formats: an imported TorchScript module (torch.jit.script or trace) lowered
// into StageGraph ops, so the ONNX and TorchScript exporters write it like Lathe's own stages.
#pragma once

#include "core/formats/graph_builder.h"
#include "core/util/error.h"

#include <string>

namespace torch::jit {
struct Module;
}

namespace lathe::formats {

/// Lowers `module`'s forward applied to value `x` into `builder` and returns its output value.
/// Works on an eval-mode clone, frozen (weights become constants), inlined and constant-folded;
/// then maps each aten op onto OpKinds: convolutions (batch norm folded in where it follows
/// one), batch norm, activations, pooling, linear and matrix products, element-wise arithmetic,
/// reshapes, permutes, concatenation, slicing, expand, layer norm and softmax. Sizes read from
/// the input stay symbolic in the batch: the builder needs a wide probe (GraphBuilder).
/// Op names start with `path` and the layer ("backbone.layer1.0.conv1"). Errors:
/// InvalidArgument naming the op ("aten::upsample_nearest2d"), the layer and the source line
/// when an op or one of its options has no `format` mapping; Internal when the ops do not
/// reproduce the module on the probes (batch 1 and the wide batch). Never throws; not
/// thread-safe with respect to `builder`.
Result<std::string> lowerScriptModule(GraphBuilder &builder, const torch::jit::Module &module,
                                      const std::string &x, const std::string &path,
                                      const std::string &format);

} // namespace lathe::formats
