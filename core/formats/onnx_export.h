// ONNX export: a Net written as an ONNX model (opset 13), built with the ONNX library's own
// protobuf classes (libonnx-dev) and checked in-process by its checker and shape inference.
#pragma once

#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lathe::model {
class Net;
}

namespace lathe::formats {

struct StageGraph;

/// Writes `net` as an ONNX ModelProto (ir_version 8, opset 13, producer "lathe"): graph input
/// "input" float [batch, inputShape...] with a symbolic "batch" dim, output "logits" float
/// [batch, ...] equal to net->forward in eval mode, weights as little-endian raw_data
/// initializers. Lowered through stage_ops.h (dropout dropped, batch norm folded into the
/// preceding convolution; layer norm and GELU decomposed into opset-13 ops). Written through
/// an AtomicFile (atomic_file.h), so `file` is either the old one or complete. Every model
/// passes onnx::checker::check_model and strict shape inference before it is written. Errors
/// (context: the file):
/// InvalidArgument naming the stage when a stage has no ONNX mapping or the shape does not fit;
/// Internal with the checker's or shape inference's message when the model does not pass them
/// (nothing is written); Io when the file cannot be written. Never throws. Not thread-safe with
/// respect to `net` (switched to eval mode for a probe pass and back).
Result<void> writeOnnx(model::Net &net, const std::vector<std::int64_t> &inputShape,
                       const std::filesystem::path &file);

/// The serialized ModelProto for an already lowered graph (what writeOnnx writes), after the
/// checker and strict shape inference. Internal error with their message (or the encoding's)
/// for a malformed graph; never throws; thread-safe.
Result<std::string> encodeOnnx(const StageGraph &graph);

} // namespace lathe::formats
