#pragma once

#include "core/model/model_spec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::panels {

/// One stage of a model as the Fine-tune group lists it; an imported model's layers are
/// dotted paths ("layer1.0.conv1"), each listed after its parent.
struct StageOutline
{
    std::string name;
    std::int64_t parameterCount = 0; ///< its own and its children's
};

/// A model's stages and their parameter counts, or why it could not be built.
struct ModelOutline
{
    std::vector<StageOutline> stages;
    std::string error; ///< empty when `stages` holds the model's stages
    /// True when the counts assume a 1x28x28 input and 10 classes because the dataset's own
    /// shape is not known without reading it (every dataset but fashion-mnist).
    bool assumedShape = false;
    std::int64_t totalParameters = 0;

    std::int64_t parameterCount() const { return totalParameters; }
};

/// Builds `spec`'s network (lathe::plugin::buildModel, input {1, 28, 28}, 10 classes) and lists
/// its stages with their parameter counts. Results are cached by (arch, widths), so calling it
/// on every edit builds each model once; a spec that does not build gives its error message.
/// Never throws. Thread-safe (the cache is locked); a small net builds in milliseconds, so
/// the GUI thread may call it.
ModelOutline modelOutline(const model::ModelSpec &spec, const std::string &dataset);

/// The layers of the TorchScript model in `file` (formats::netFromTorchScript, input
/// {1, 28, 28}, 10 classes) with their parameter counts, or why it cannot be imported (the
/// import's own message). Cached by path, size and modification time. Never throws;
/// thread-safe. Loading a large model takes a few hundred milliseconds, once per file.
ModelOutline importedOutline(const std::string &file, const std::string &dataset);

} // namespace lathe::panels
