#include "core/inspect/stage_lookup.h"

#include <algorithm>

namespace lathe::inspect {

Result<void> requireStage(const model::Net &net, const std::string &layer)
{
    const auto names = net->stageNames();
    if (std::find(names.begin(), names.end(), layer) != names.end())
        return {};
    std::string list;
    for (const auto &name : names)
        list += (list.empty() ? "" : ", ") + name;
    return fail(ErrorCode::InvalidArgument,
                "no layer \"" + layer + "\" in this " + net->arch() + "; its layers are: " + list,
                "layer " + layer);
}

} // namespace lathe::inspect
