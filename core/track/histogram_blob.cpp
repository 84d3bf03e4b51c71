#include "core/track/histogram_blob.h"

namespace lathe::track {

std::vector<std::byte> encodeHistogramCounts(std::span<const std::uint32_t> counts)
{
    std::vector<std::byte> blob(counts.size() * 4);
    for (std::size_t i = 0; i < counts.size(); ++i) {
        for (std::size_t b = 0; b < 4; ++b)
            blob[i * 4 + b] = std::byte((counts[i] >> (8 * b)) & 0xffu);
    }
    return blob;
}

std::optional<std::vector<std::uint32_t>> decodeHistogramCounts(std::span<const std::byte> blob)
{
    if (blob.size() % 4 != 0)
        return std::nullopt;
    std::vector<std::uint32_t> counts(blob.size() / 4);
    for (std::size_t i = 0; i < counts.size(); ++i) {
        std::uint32_t value = 0;
        for (std::size_t b = 0; b < 4; ++b)
            value |= std::uint32_t(blob[i * 4 + b]) << (8 * b);
        counts[i] = value;
    }
    return counts;
}

} // namespace lathe::track
