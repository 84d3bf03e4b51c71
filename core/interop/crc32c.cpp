#include "core/interop/crc32c.h"

#include <array>

namespace lathe::interop {

namespace {

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes.
using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables makeTables()
{
    Tables tables{};
    for (std::uint32_t b = 0; b < 256; ++b) {
        std::uint32_t crc = b;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ ((crc & 1U) ? 0x82F63B78U : 0U);
        tables[0][b] = crc;
    }
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t b = 0; b < 256; ++b)
            tables[k][b] = (tables[k - 1][b] >> 8) ^ tables[0][tables[k - 1][b] & 0xFFU];
    return tables;
}

constexpr Tables kTables = makeTables();

std::uint32_t byteAt(const std::byte *p, std::size_t i)
{
    return static_cast<std::uint32_t>(p[i]);
}

} // namespace

std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t crc)
{
    crc = ~crc;
    const std::byte *p = bytes.data();
    std::size_t n = bytes.size();
    // Eight bytes a step: the event files' records are 30-100 bytes and a 1M-scalar file
    // checks ~100 MB of them.
    while (n >= 8) {
        const std::uint32_t lo
            = crc ^ (byteAt(p, 0) | byteAt(p, 1) << 8 | byteAt(p, 2) << 16 | byteAt(p, 3) << 24);
        crc = kTables[7][lo & 0xFFU] ^ kTables[6][(lo >> 8) & 0xFFU]
              ^ kTables[5][(lo >> 16) & 0xFFU] ^ kTables[4][lo >> 24] ^ kTables[3][byteAt(p, 4)]
              ^ kTables[2][byteAt(p, 5)] ^ kTables[1][byteAt(p, 6)] ^ kTables[0][byteAt(p, 7)];
        p += 8;
        n -= 8;
    }
    for (std::size_t i = 0; i < n; ++i)
        crc = (crc >> 8) ^ kTables[0][(crc ^ byteAt(p, i)) & 0xFFU];
    return ~crc;
}

std::uint32_t maskCrc32c(std::uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + 0xA282EAD8U;
}

std::uint32_t maskedCrc32c(std::span<const std::byte> bytes)
{
    return maskCrc32c(crc32c(bytes));
}

} // namespace lathe::interop
