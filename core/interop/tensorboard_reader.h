#pragma once

#include "core/interop/source_run.h"
#include "core/util/error.h"

#include <filesystem>
#include <vector>

// TensorBoard event files (events.out.tfevents.*): TFRecord framing (tf_record_reader.h) around
// protobuf `Event` messages (tf_event.proto), whose `Summary` values give the scalars: the
// `simple_value` of older writers (PyTorch's SummaryWriter, TF 1) and the one-element tensors of
// the "scalars" plugin that TF 2 writes (its metadata on a tag's first value only).
namespace lathe::interop {

/// True for a file named events.out.tfevents.*. Thread-safe.
bool isEventFileName(const std::filesystem::path &file);

/// The runs under `path`: an event file is a run of its own; a folder gives one run per folder
/// below it (itself included) that holds event files, its files in name order (a restarted
/// writer adds a file), named by its path under `path` ("train", "lr-0.1/eval"; `path`'s own
/// name for itself). NotFound when there is no event file; Io when a folder cannot be read.
/// Thread-safe.
Result<std::vector<RunSource>> findTensorBoardRuns(const std::filesystem::path &path);

/// Reads the scalars of `source`'s event files: one series per tag, samples in file order,
/// started/ended at the first and last event's wall time. A damaged record (bad CRC, a
/// truncated end, an Event that does not parse) is an issue naming the file and its byte
/// offset, and the rest of the file is read. Io only when a file cannot be opened.
/// Thread-safe.
Result<SourceRun> readTensorBoardRun(const RunSource &source);

} // namespace lathe::interop
