// Checks shared by the inspections that name a stage of a Net.
#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <string>

namespace lathe::inspect {

/// Succeeds when `net` has a stage called `layer`; otherwise InvalidArgument naming the layer
/// and the architecture and listing the stages there are. Thread-safety: reads `net` only.
Result<void> requireStage(const model::Net &net, const std::string &layer);

/// What a forward pass recorded for `layer` in `taps`; InvalidArgument when it recorded nothing
/// (a layer of an imported model called only inside control flow, or returning no single
/// tensor). Thread-safety: reads `taps` only.
Result<torch::Tensor> tappedOutput(const model::Taps &taps, const std::string &layer);

} // namespace lathe::inspect
