#pragma once

#include "core/export/model_card.h"

#include <torch/torch.h>

#include <filesystem>

namespace lathe::exporting {

/// Runs the ONNX file `model` with onnxruntime-node (node, resources/onnx/run_onnx.js and the
/// onnxruntime-node package under `runtimeDir`/node_modules; empty: $LATHE_ONNXRUNTIME_DIR, else
/// the build tree's <build>/npm that scripts/setup fills) on `input` [B,C,H,W] and compares
/// its output with `expected` [B,K] (tolerance 1e-4). Not checked (and said why in `detail`)
/// when node or onnxruntime-node is missing; failed when the runtime fails or differs. Blocks
/// until node exits. Never throws.
ParityResult onnxRuntimeParity(const std::filesystem::path &model, const torch::Tensor &input,
                               const torch::Tensor &expected,
                               const std::filesystem::path &runtimeDir);

} // namespace lathe::exporting
