#pragma once

#include "core/util/error.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace lathe::util {

/// Incremental SHA-256 (FIPS 180-4). Not thread-safe; one object per digest.
class Sha256
{
public:
    Sha256();
    void update(std::span<const std::uint8_t> bytes);
    /// Finishes and returns the digest as 64 lowercase hex characters.
    std::string hexDigest();

private:
    void compress(const std::uint8_t *block);
    std::array<std::uint32_t, 8> m_state;
    std::array<std::uint8_t, 64> m_buffer{};
    std::size_t m_buffered = 0;
    std::uint64_t m_totalBytes = 0;
};

/// SHA-256 of a byte string, as hex.
std::string sha256Hex(std::string_view bytes);

/// SHA-256 of a file's contents, as hex; an Io error names the file if it cannot be read.
Result<std::string> sha256File(const std::filesystem::path &path);

} // namespace lathe::util
