#pragma once

#include "core/interop/source_run.h"
#include "core/util/error.h"

#include <filesystem>
#include <vector>

// MLflow's file store: mlruns/<experiment id>/<run id>/ with meta.yaml (run_name, start_time and
// end_time in ms, status, lifecycle_stage), params/<key> (the value as text), metrics/<key>
// (one "timestamp_ms value step" line per sample) and tags/<key>. Keys with "/" are folders.
namespace lathe::interop {

/// The runs under `path`: every folder below it (itself included) that holds a meta.yaml with
/// a run_id, or with metrics/ or params/ beside it; an mlruns folder, an experiment's folder or
/// one run's folder all work. Runs whose lifecycle_stage is "deleted" and folders whose name
/// starts with "." (.trash) are left out. Named after meta.yaml's run_name (else the run id);
/// identity "import:mlflow:<run id>". NotFound when there is none; Io when a folder cannot be
/// read. Thread-safe.
Result<std::vector<RunSource>> findMlflowRuns(const std::filesystem::path &path);

/// Reads one run: params as config keys, metrics as series (steps, wall time from the ms
/// timestamps), user tags as Lathe tags "key:value" and the experiment's name as
/// "experiment:<name>", start and end time, status (FINISHED finished, FAILED failed, anything
/// else stopped). A line that does not parse is an issue naming the file and its line; the rest
/// is read. Io when meta.yaml cannot be read. Thread-safe.
Result<SourceRun> readMlflowRun(const RunSource &source);

} // namespace lathe::interop
