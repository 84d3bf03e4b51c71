#pragma once

#include "core/util/error.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// TFRecord framing, as TensorFlow writes event files: each record is
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
//   length bytes of data         | uint32 masked CRC-32C of the data.
namespace lathe::interop {

/// A record that could not be read: the byte offset where it starts and what is wrong.
struct RecordIssue
{
    std::int64_t offset = 0;
    std::string message{};
};

/// What a scan found besides the records it handed over.
struct RecordScan
{
    std::int64_t records = 0;          ///< intact records handed to the callback
    std::vector<RecordIssue> issues{}; ///< in file order
    std::int64_t bytes = 0;            ///< the size scanned
};

/// Called with each intact record's data and the offset of its header.
using RecordCallback = std::function<void(std::string_view data, std::int64_t offset)>;

/// Hands every intact record of `bytes` to `onRecord`, in order, and lists the damaged ones:
/// a record whose data fails its CRC is skipped (the next starts after it); a header whose
/// length fails its CRC is not trusted, and the scan looks for the next offset where a whole
/// record checks (length and data CRCs) and goes on from there, saying how many bytes it
/// skipped; a record cut short by the end of the bytes ends the scan. Never fails. Pure
/// function of its input (the callback aside).
RecordScan scanTfRecords(std::span<const std::byte> bytes, const RecordCallback &onRecord);

/// scanTfRecords over the file `file`, mapped read-only. Io when it cannot be opened or
/// mapped (naming the file).
Result<RecordScan> readTfRecordFile(const std::filesystem::path &file,
                                    const RecordCallback &onRecord);

} // namespace lathe::interop
