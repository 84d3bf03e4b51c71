#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

// The stored form of a histogram's counts: each bin a uint32, little-endian, bin 0 first.
namespace lathe::track {

/// Packs `counts` as uint32 little-endian. Thread-safe (pure).
std::vector<std::byte> encodeHistogramCounts(std::span<const std::uint32_t> counts);

/// Unpacks what encodeHistogramCounts() wrote; nullopt when the size is not a multiple of 4.
/// Thread-safe (pure).
std::optional<std::vector<std::uint32_t>> decodeHistogramCounts(std::span<const std::byte> blob);

} // namespace lathe::track
