// Exporting a stored run: one of its checkpoints (LoRA merged, optionally pruned and int8
// quantised) written as TorchScript, ONNX or safetensors with a JSON config, checked against the
// checkpoint on 100 test images, described by a model card, and recorded in the store.
#pragma once

#include "core/export/model_card.h"
#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lathe::exporting {

/// What to export. format: "torchscript" | "onnx" | "safetensors".
struct ExportOptions
{
    std::string format = "torchscript";
    std::string checkpoint;       ///< best | last | epoch-<N>; empty = best, else last
    bool quantizeInt8 = false;    ///< per-channel int8 weights (safetensors stores I8 + scales)
    double prune = 0.0;           ///< global magnitude pruning: share of weights zeroed, [0, 1)
    std::filesystem::path outDir; ///< created if missing; existing files are replaced
    /// Folder whose node_modules holds onnxruntime-node, for the ONNX parity check; empty =
    /// $LATHE_ONNXRUNTIME_DIR, else the build tree's npm/ folder. Without it (or without node)
    /// the ONNX check is skipped, and says so.
    std::filesystem::path onnxRuntimeDir;
};

/// Accuracy and size of the exported weights against the checkpoint's (quantisation and
/// pruning change both).
struct CompressionReport
{
    double accuracyBefore = 0.0; ///< on the run's test set (or validation when it has none)
    double accuracyAfter = 0.0;
    std::int64_t bytesBefore = 0; ///< weights as float32
    std::int64_t bytesAfter = 0;  ///< as written (int8 counts one byte per weight)
    std::int64_t weightsPruned = 0;
};

/// What an export wrote.
struct ExportReport
{
    std::int64_t runId = 0;
    std::string checkpoint;     ///< the checkpoint exported
    std::string checkpointNote; ///< why that one, when ExportOptions::checkpoint was empty
    std::vector<std::filesystem::path>
        files; ///< model, config.json, MODEL_CARD.md, model_card.json
    ParityResult parity;
    std::optional<CompressionReport> compression; ///< set when quantizing or pruning
};

/// Progress: a short phrase ("loading", "writing", "checking parity", ...) and the share done.
using ExportProgress = std::function<void(const std::string &phase, double done)>;

/// Exports run `runRef` (id or name) of the store at `db`. Errors name the run, the option or the
/// stage that has no mapping in the format (nothing is recorded then; files already written are
/// removed). A failed parity check is not an error: it is in the report, the model card and the
/// store. Runs on the calling thread (seconds: call it off the GUI thread). Never throws.
Result<ExportReport> exportRun(const std::filesystem::path &db, const std::string &runRef,
                               const ExportOptions &options, const ExportProgress &progress = {});

/// The formats exportRun writes, in display order.
const std::vector<std::string> &exportFormats();

} // namespace lathe::exporting
