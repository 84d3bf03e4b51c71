// The fast 64-bit hash of a sample's bytes that exact duplicate detection keys on (dataset
// statistics and the duplicate finder share it, so both agree on what "identical" means).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lathe::data {

/// SplitMix64's finaliser: a bijective mix of 64 bits.
inline std::uint64_t mix64(std::uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// A fast 64-bit hash of a byte string (8 bytes a step, SplitMix64 finaliser). Not
/// cryptographic: duplicates it suggests are confirmed by comparing the bytes. Thread-safe.
inline std::uint64_t hashBytes(const std::uint8_t *bytes, std::size_t size)
{
    std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ size;
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes + i, 8);
        h = (h ^ mix64(word)) * 0x100000001b3ULL;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, bytes + i, size - i);
    return mix64(h ^ mix64(tail ^ 0xff51afd7ed558ccdULL));
}

} // namespace lathe::data
