#pragma once

// The model card of an export folder: MODEL_CARD.md for people and model_card.json for tools,
// with the run, its config, metrics, lineage, the export options, the parity check and the
// SHA-256 of every file in the folder.

#include "core/util/environment.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lathe::exporting {

inline constexpr const char *kModelCardMarkdownName = "MODEL_CARD.md";
inline constexpr const char *kModelCardJsonName = "model_card.json";

/// The outcome of comparing an exported model's outputs with the Lathe net's.
struct ParityResult
{
    bool checked = false;    ///< whether a check ran at all
    double maxAbsDiff = 0.0; ///< largest |exported - reference| over the probe outputs
    double tolerance = 0.0;  ///< what counts as equal
    bool passed = false;     ///< checked and maxAbsDiff <= tolerance
    std::string detail;      ///< how it was checked, or why not ("no python3 with torch")
};

/// The options the folder was exported with.
struct ModelCardExport
{
    std::string format;            ///< "torchscript", "onnx", "safetensors", ...
    std::string quantize = "none"; ///< "none" or "int8"
    double prune = 0.0;            ///< fraction of weights zeroed by magnitude pruning
};

/// Everything a card says, filled by the exporter (nothing here reads the store).
struct ModelCard
{
    std::int64_t runId = 0;
    std::string runName;
    nlohmann::json config = nlohmann::json::object(); ///< the run's RunConfig as JSON
    std::map<std::string, double> metrics;            ///< final metrics ("test/accuracy", ...)
    std::int64_t parentRunId = 0;                     ///< 0 when the run has no parent
    std::string parentRunName;                        ///< may be empty
    ModelCardExport exportOptions;
    ParityResult parity;
    std::string createdAt; ///< ISO 8601 in local time (util::isoLocalTime); empty = omitted
    /// Where the run trained (its latest recorded environment); nullopt for a run from before
    /// Lathe recorded it (the card then says so).
    std::optional<util::RunEnvironment> trainedOn;
};

/// One file of the export folder.
struct FileDigest
{
    std::string path; ///< relative to the folder, '/'-separated
    std::uintmax_t bytes = 0;
    std::string sha256; ///< 64 lowercase hex characters
};

/// Hashes every regular file under `folder` (recursively) except the card files themselves and
/// symlinks (what they point to is not part of the export), sorted by relative path. Errors:
/// NotFound when the folder does not exist, Io naming a file that cannot be read. Thread-safety:
/// reads files only.
Result<std::vector<FileDigest>> hashExportFolder(const std::filesystem::path &folder);

/// The card as JSON: {"format": "lathe-model-card-1", "run": {"id", "name"}, "created",
/// "config", "metrics", "lineage": {"parent_run_id" (null when none), "parent_run_name"},
/// "export": {"format", "quantize", "prune"}, "parity": {"checked", "max_abs_diff",
/// "tolerance", "passed", "detail"}, "trained_on": the run's environment
/// (util::RunEnvironment::toJson(), null when not recorded), "files": [{"path", "bytes",
/// "sha256"}]}. Pure function.
nlohmann::json modelCardJson(const ModelCard &card, const std::vector<FileDigest> &files);

/// The card as Markdown: the run, lineage, export options, parity, metrics, where it trained
/// (machine, LibTorch, data digests), files with their SHA-256, and the config. Pure function.
std::string modelCardMarkdown(const ModelCard &card, const std::vector<FileDigest> &files);

/// Hashes the folder's files and writes MODEL_CARD.md and model_card.json into it (each
/// through a temporary file renamed into place). Returns the files it listed. Errors:
/// hashExportFolder's, Io naming a card file that cannot be written. Call after every other
/// file of the export is written. Thread-safety: one writer per folder.
Result<std::vector<FileDigest>> writeModelCard(const ModelCard &card,
                                               const std::filesystem::path &folder);

} // namespace lathe::exporting
