#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lathe::train {

/// What a weight transfer did: tensors copied, and the net's tensors left as initialised
/// (absent from the source, another shape, or in a stage asked to start fresh).
struct TransferReport
{
    std::int64_t copied = 0;
    std::vector<std::string> fresh; ///< parameter/buffer names, e.g. "head.weight"
};

/// Copies into `net` every parameter and buffer of a Lathe checkpoint's model whose name and
/// shape match, except those of the stages in `freshStages` (a new head). Nothing is copied
/// when the checkpoint cannot be read (BadInput/NotFound naming the file) or when no tensor
/// matches at all (BadInput: "written for another model"). Never throws.
Result<TransferReport> transferFromCheckpoint(const std::filesystem::path &checkpoint,
                                              model::Net &net,
                                              const std::vector<std::string> &freshStages);

} // namespace lathe::train
