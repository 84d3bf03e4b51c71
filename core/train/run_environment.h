#pragma once

#include "core/track/run_store.h"
#include "core/train/run_config.h"
#include "core/util/environment.h"
#include "core/util/error.h"
#include "core/util/file_digest_cache.h"

#include <cstdint>
#include <optional>
#include <vector>

// The environment a run records with each attempt (util::RunEnvironment): collected here, where
// LibTorch and the GPU query are at hand, and stored as the run's "environment" event by RunJob.
// Every attempt (train, resume) adds one, so a run resumed on another machine shows both; the
// views take the latest and say when an earlier attempt differed. Events, not params: the
// environment stays out of the config, its hash and a copied config, and needs no migration.
namespace lathe::train {

/// This process's environment: util::machineEnvironment() plus LibTorch's version and build
/// (at::show_config(): oneDNN, OpenMP, CPU capability, BLAS, CUDA; and the libblas loaded),
/// its intra-op thread count now, and the CUDA devices (kernels::queryDevices). `dataFiles`
/// is stored as given. Thread-safe; never fails (what cannot be read stays empty).
util::RunEnvironment collectEnvironment(std::vector<util::DataFileDigest> dataFiles = {});

/// SHA-256 of the files `data` reads: data.path itself when it is a file, else every regular
/// file under it (recursively, sorted by path). Up to 64 files are listed one by one; more (an
/// image folder) are one entry for the folder, whose digest is that of its manifest (each
/// file's relative path, size and SHA-256, one line each, sorted). Digests come from `cache`
/// (path, size and time) where they can. Io error naming the file that cannot be read.
Result<std::vector<util::DataFileDigest>> fingerprintData(const DataConfig &data,
                                                          util::FileDigestCache &cache);

/// Adds `env` as an "environment" event of run `runId` at `step`. Errors: RunStore::addEvent's.
Result<void> recordEnvironment(track::RunStore &store, std::int64_t runId, std::int64_t step,
                               const util::RunEnvironment &env);

/// What RunJob does at the start of each attempt: fingerprints `data` through the default
/// digest cache (util::FileDigestCache::defaultFile(); a file that cannot be read is a warning
/// in the log and the environment is recorded without data), collects this process's
/// environment and records it. Errors: recordEnvironment's.
Result<void> recordRunEnvironment(track::RunStore &store, std::int64_t runId, std::int64_t step,
                                  const DataConfig &data);

/// A run's recorded environments, oldest first (one per attempt); empty for a run recorded
/// before Lathe kept them. Errors: RunStore::events' (NotFound is not one: empty).
Result<std::vector<util::RunEnvironment>> storedEnvironments(track::RunStore &store,
                                                             std::int64_t runId);

/// The latest of storedEnvironments(), nullopt when there is none.
Result<std::optional<util::RunEnvironment>> latestEnvironment(track::RunStore &store,
                                                              std::int64_t runId);

} // namespace lathe::train
