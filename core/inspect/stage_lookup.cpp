#include "core/inspect/stage_lookup.h"

#include "core/util/join.h"

#include <algorithm>

namespace lathe::inspect {

Result<void> requireStage(const model::Net &net, const std::string &layer)
{
    const auto names = net->layerNames();
    if (std::find(names.begin(), names.end(), layer) != names.end())
        return {};
    return fail(ErrorCode::InvalidArgument,
                "no layer \"" + layer + "\" in this " + net->arch()
                    + "; its layers are: " + util::join(names),
                "layer " + layer);
}

Result<torch::Tensor> tappedOutput(const model::Taps &taps, const std::string &layer)
{
    const auto found = taps.outputs.find(layer);
    if (found != taps.outputs.end())
        return found->second;
    return fail(ErrorCode::InvalidArgument,
                "layer \"" + layer
                    + "\" records no output (it is called only inside control flow, or returns "
                      "no single tensor)",
                "layer " + layer);
}

} // namespace lathe::inspect
