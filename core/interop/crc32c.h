#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing, and
// the "masked" form TFRecord stores (a rotation plus a constant, so that a CRC of data that holds
// CRCs does not degenerate).
namespace lathe::interop {

/// CRC-32C of `bytes`, continuing from `crc` (0 for a fresh checksum). RFC 3720's test
/// vectors: 32 zero bytes give 0x8A9136AA. Pure function, thread-safe.
std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t crc = 0);

/// TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xA282EAD8. Pure function.
std::uint32_t maskCrc32c(std::uint32_t crc);

/// maskCrc32c(crc32c(bytes)). Pure function, thread-safe.
std::uint32_t maskedCrc32c(std::span<const std::byte> bytes);

} // namespace lathe::interop
