// A stored run's config and checkpoints as the store records them: torch-free, so the panels
// that only list or name checkpoints (and read configs) include this, not open_run.h.
#pragma once

#include "core/track/run_store.h"
#include "core/train/run_config.h"
#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lathe::train {

/// "run <id> (<name>)", how messages name a run.
std::string runLabel(const track::RunInfo &run);

/// Where a run's files (checkpoints) live: <db folder>/runs/<id> for the default lathe.db, and
/// <db folder>/runs/<db name without extension>/<id> for any other store, so that two stores in
/// one folder never write into each other's run folders.
std::filesystem::path runDirectory(const std::filesystem::path &db, std::int64_t runId);

/// The config run `run` was trained with (as stored, steering included). BadInput naming the
/// run when the stored JSON is not a valid config. Never throws; thread-safe.
Result<RunConfig> storedConfig(const track::RunInfo &run);

/// A checkpoint of a stored run as the store records it: the latest "checkpoint-<name>"
/// artifact (RunRecorder adds one, with the file's SHA-256, each time the trainer writes it).
/// The store is the one source of truth: a file in runs/<id>/ without an artifact is not a
/// checkpoint, and every store since the first schema records them.
struct CheckpointInfo
{
    std::string name;           ///< "best", "last" or "epoch-N"
    std::filesystem::path path; ///< the recorded path (or runs/<id>/<name>.pt if the store moved)
    std::string sha256;         ///< recorded when written; empty if the file could not be read
    std::int64_t epoch = 0;     ///< epochs completed when written (0 when the file is missing)
    std::int64_t step = 0;
    bool missing = false; ///< the file is gone
};

/// The checkpoints `store` records for run `runId` ("best" and "last" first, then "epoch-N" by
/// N), each with the position its file says. Empty for a run that wrote none. Errors of the
/// store. Not thread-safe (the store is not).
Result<std::vector<CheckpointInfo>>
listCheckpoints(track::RunStore &store, const std::filesystem::path &db, std::int64_t runId);
/// As above, opening the store at `db` for the call (on the calling thread: never the GUI's).
Result<std::vector<CheckpointInfo>> listCheckpoints(const std::filesystem::path &db,
                                                    std::int64_t runId);

/// The checkpoint of `run` to load: `requested` ("best", "last" or "epoch-N"), or when it is
/// empty the default, "best", else "last". `note` (if given) receives which one and why for a
/// default, and stays empty for an explicit choice; `listed` (if given) every recorded one. The
/// file is checked against its recorded SHA-256. NotFound listing the recorded checkpoints for one
/// the run does not have (or none); InvalidArgument for a name that is not a checkpoint name;
/// BadInput for a missing file or one whose SHA-256 differs from the recorded one (changed or
/// replaced since it was written). Not thread-safe (the store is not).
Result<CheckpointInfo> storedCheckpoint(track::RunStore &store, const std::filesystem::path &db,
                                        const track::RunInfo &run, const std::string &requested,
                                        std::string *note = nullptr,
                                        std::vector<CheckpointInfo> *listed = nullptr);

/// A checkpoint to resume from, and why it cannot be used: empty when its file is there and
/// matches the SHA-256 recorded when it was written.
struct ResumeCandidate
{
    CheckpointInfo checkpoint;
    std::string problem;
};

/// The checkpoints of `run` in the order a resume tries them: "last", then the others newest
/// first (by the step their file says; a file that cannot be read goes last), each checked
/// against its recorded SHA-256. Empty when the run wrote none. Errors of the store. Not
/// thread-safe (the store is not).
Result<std::vector<ResumeCandidate>> resumeCandidates(track::RunStore &store,
                                                      const std::filesystem::path &db,
                                                      const track::RunInfo &run);

} // namespace lathe::train
