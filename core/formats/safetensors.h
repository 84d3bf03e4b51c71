#pragma once

// safetensors (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
// JSON header {"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {str: str}}
// padded with spaces so the data starts 8-byte aligned, then the tensors' bytes back to back.

#include "core/formats/state_dict.h"
#include "core/model/net.h"
#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace lathe::formats {

/// The largest header a reader accepts, as in the reference implementation.
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

/// Writes `tensors` (any device and strides; stored contiguous, little endian, in the given
/// order) and `metadata` (omitted when empty) to `file`, through a temporary file renamed into
/// place. Dtypes: BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64.
/// Errors: InvalidArgument for a duplicate or reserved ("__metadata__") name, an undefined
/// tensor or an unsupported dtype (naming the tensor); Io naming the file when it cannot be
/// written (e.g. a full disk), in which case no file is left behind.
/// Thread-safety: reads the tensors; concurrent calls must target different files.
Result<void> writeSafetensors(const std::vector<std::pair<std::string, torch::Tensor>> &tensors,
                              const std::map<std::string, std::string> &metadata,
                              const std::filesystem::path &file);

/// What a safetensors file holds: its tensors in header order, and its metadata.
struct SafetensorsFile
{
    NamedTensors tensors; ///< CPU, contiguous, owning their memory
    std::map<std::string, std::string> metadata;
};

/// Reads and strictly validates `file`. Errors name the file and the problem: NotFound (no
/// such file), Io (unreadable), BadInput for a file under 8 bytes, a header length of 0, over
/// kMaxSafetensorsHeaderBytes or past the end of the file, a header that is not a JSON object,
/// duplicate names, an entry without dtype/shape/data_offsets, an unknown dtype, negative
/// dims, offsets that are not 2 ascending integers, a byte size that does not match
/// dtype × shape, offsets past the end (truncated data), overlapping tensors, and bytes that
/// belong to no tensor. Nothing is allocated from a size before it is checked against the
/// file's size. Thread-safety: pure function of the file.
Result<SafetensorsFile> readSafetensorsFile(const std::filesystem::path &file);

/// readSafetensorsFile() without the metadata.
Result<std::vector<std::pair<std::string, torch::Tensor>>>
readSafetensors(const std::filesystem::path &file);

/// Options for loadSafetensorsInto.
struct SafetensorsLoadOptions : LoadOptions
{
    /// Whether an I8 tensor "x" with an F32 "x.scale" (an int8 export, see
    /// weight_compression.h) loads as float weights "x" dequantised.
    bool dequantizeInt8 = true;
};

/// Reads `file` and copies its tensors into the net's parameters and buffers by name
/// (loadStateDict: all-or-nothing). Errors: readSafetensorsFile's, then BadInput naming the
/// file for names that match no layer (a few listed), missing names, a shape mismatch
/// (naming the tensor and both shapes) or an incompatible dtype; the net is then unchanged.
/// Thread-safety: writes the net; no other thread may use it meanwhile.
Result<void> loadSafetensorsInto(model::Net &net, const std::filesystem::path &file,
                                 const SafetensorsLoadOptions &options = {});

} // namespace lathe::formats
