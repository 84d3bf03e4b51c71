#include "core/inspect/stage_lookup.h"

#include "core/util/join.h"

#include <algorithm>

namespace lathe::inspect {

Result<void> requireStage(const model::Net &net, const std::string &layer)
{
    const auto names = net->stageNames();
    if (std::find(names.begin(), names.end(), layer) != names.end())
        return {};
    return fail(ErrorCode::InvalidArgument,
                "no layer \"" + layer + "\" in this " + net->arch()
                    + "; its layers are: " + util::join(names),
                "layer " + layer);
}

} // namespace lathe::inspect
