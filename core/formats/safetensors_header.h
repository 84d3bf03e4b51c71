#pragma once

// The safetensors header: the dtype table and the strict parsing and validation of the JSON
// header. Internal to core/export (safetensors.cpp reads the bytes these entries describe).

#include "core/util/error.h"

#include <c10/core/ScalarType.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::formats::detail {

/// One safetensors dtype: its name in the header, its width, and LibTorch's type (nullopt
/// where this LibTorch has none, e.g. U16 or F8_E4M3).
struct SafetensorsDtype
{
    std::string_view name;
    std::size_t bytes;
    std::optional<c10::ScalarType> type;
};

/// The dtype named `name` in the format's table, or null when the format has no such dtype.
const SafetensorsDtype *dtypeByName(std::string_view name);

/// The header name of a LibTorch type ("F32"), or null when safetensors cannot store it.
const SafetensorsDtype *dtypeOf(c10::ScalarType type);

/// One tensor's header entry, checked: a known dtype LibTorch has, a shape of non-negative
/// dims whose byte size equals end - begin.
struct HeaderEntry
{
    std::string name;
    c10::ScalarType type;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0; ///< offset into the data section (after the header)
    std::uint64_t end = 0;
};

struct Header
{
    std::vector<HeaderEntry> entries; ///< in the header's order
    std::map<std::string, std::string> metadata;
};

/// Parses and validates the header JSON against a data section of `dataBytes` bytes: an
/// object, no duplicate keys, every entry complete and consistent, offsets inside the data,
/// and the entries covering the data exactly (no overlap, no gap, no unused tail).
/// BadInput with context `file` naming the entry and the problem.
Result<Header> parseHeader(std::string_view json, std::uint64_t dataBytes, const std::string &file);

} // namespace lathe::formats::detail
