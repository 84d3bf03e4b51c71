#pragma once

#include "core/interop/source_run.h"
#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

// `lathe-cli import` and the window's "Import runs…": other trackers' runs (TensorBoard event
// files, MLflow's file store) into Lathe's store as finished runs, through RunStore.
namespace lathe::interop {

/// What one source run became.
struct ImportedRun
{
    std::string name{};     ///< the stored name (or the source's, when skipped)
    std::string identity{}; ///< the "import:..." tag
    std::int64_t runId = 0; ///< the new run, or the one imported before (skipped)
    bool skipped = false;   ///< imported before: nothing written
    std::int64_t samples = 0;
    std::size_t series = 0;
    std::size_t params = 0;
    std::vector<ImportIssue> issues{};
};

/// What an import did.
struct ImportReport
{
    SourceFormat format = SourceFormat::TensorBoard;
    std::vector<ImportedRun> runs{};

    std::size_t importedCount() const;
    std::size_t skippedCount() const;
    std::size_t issueCount() const;
};

/// Progress: `done` of `total` runs, the one being read now (empty at the end).
using ImportProgress
    = std::function<void(std::size_t done, std::size_t total, const std::string &current)>;

/// How to import.
struct ImportOptions
{
    std::optional<SourceFormat> format{}; ///< nullopt: detectFormat()
    ImportProgress progress{};            ///< called on the importing thread
    std::stop_token stop{};               ///< checked between runs: Cancelled
};

/// The format of what `path` holds: an events.out.tfevents.* file, or a folder with event files
/// below it (TensorBoard) or MLflow run folders (meta.yaml beside metrics/ or params/).
/// NotFound for a path that does not exist or holds neither; InvalidArgument for a folder that
/// holds both (choose with a format). Thread-safe.
Result<SourceFormat> detectFormat(const std::filesystem::path &path);

/// Imports every run under `path` into the store `db` (opened here, on the calling thread): a
/// run with its name (made unique as createRun does), its source's start and end time and
/// status, params as config keys, scalars as metrics (step, wall time; epoch 0), tags, an
/// "import" event (source, format, issues), and the tag RunSource::identity. A source run
/// whose identity tag a stored run has already is skipped, not updated: nothing is written
/// for it (delete that run to import it again). Damaged records are listed per run and the
/// rest imported. A store failure midway deletes the run it was writing and returns the error
/// (runs before it stay). Errors: those of detectFormat and the readers, the store's, and
/// Cancelled when `options.stop` was requested.
Result<ImportReport> importRuns(const std::filesystem::path &db, const std::filesystem::path &path,
                                const ImportOptions &options = {});

} // namespace lathe::interop
