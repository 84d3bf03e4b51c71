#pragma once

// The integrity check of a zip archive (the container of LibTorch's checkpoints and TorchScript
// files), done before LibTorch parses one. LibTorch 1.13 reads its archives with miniz's CRC
// checks off, and its pickle and type parsers crash (SIGSEGV) on some damaged bytes: fuzzing
// found such crashes within minutes. Every entry's CRC-32 is therefore verified first, so a
// flipped bit, a truncation or a file of another kind is refused with a message naming the file
// and the entry. A file crafted to pass (valid CRCs over hostile content) is not caught: a
// TorchScript file runs code from its author, and the docs say so.

#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace lathe::formats {

/// What a verified archive holds.
struct ZipSummary
{
    std::int64_t entries = 0;
    std::int64_t dataBytes = 0; ///< the entries' stored bytes, all read and checked
};

/// Reads `file` as a zip archive (plain or zip64, entries stored or deflated) and checks that
/// its central directory lies inside the file, every local header matches its directory entry,
/// every entry's data lies inside the file, and every entry's CRC-32 matches its data.
/// NotFound when the file does not exist; BadInput naming the file, `what` it was meant to be
/// and what is wrong otherwise ("last.pt: checkpoint is not a readable zip archive: entry
/// 'archive/data/3': its CRC-32 is 0x1c291ca3 but its data gives 0x5a0f2c11: the file is
/// damaged"). Reads the whole file once, in 1 MiB blocks.
Result<ZipSummary> verifyZipArchive(const std::filesystem::path &file,
                                    std::string_view what = "file");

} // namespace lathe::formats
