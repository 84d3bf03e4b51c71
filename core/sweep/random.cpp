#include "core/sweep/random.h"

namespace lathe::sweep::detail {

namespace {

/// SplitMix64's finaliser: spreads nearby inputs (seeds 0, 1, 2) over the whole word.
std::uint64_t mix(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

} // namespace

std::uint64_t stableHash(std::string_view text)
{
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

Random::Random(std::uint64_t seed, std::int64_t trial, std::string_view key)
    : engine_(mix(mix(mix(seed) ^ std::uint64_t(trial)) ^ stableHash(key)))
{
}

double Random::uniform()
{
    return double(engine_() >> 11) * 0x1.0p-53;
}

double Random::openUniform()
{
    return (double(engine_() >> 11) + 0.5) * 0x1.0p-53;
}

std::uint64_t Random::below(std::uint64_t n)
{
    // Accept words below the largest multiple of n; the rest would favour small results.
    const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n + 1) % n;
    for (;;) {
        const std::uint64_t word = engine_();
        if (word <= limit)
            return word % n;
    }
}

} // namespace lathe::sweep::detail
