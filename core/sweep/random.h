// Internal to lathe_sweep: random numbers that are the same on every platform. std::mt19937_64's
// output is fixed by the standard; the std::*_distribution classes are not, so the draws below
// are built from its raw 64-bit words.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace lathe::sweep::detail {

/// 64-bit FNV-1a of `text`: a stable hash (std::hash is not the same everywhere).
std::uint64_t stableHash(std::string_view text);

/// One stream of draws, seeded from a sweep's seed, a trial number and a dimension's key, so a
/// dimension's draws do not depend on which other dimensions exist or are active.
class Random
{
public:
    Random(std::uint64_t seed, std::int64_t trial, std::string_view key);

    /// Uniform in [0, 1): the top 53 bits of one word.
    double uniform();
    /// Uniform in (0, 1): never 0, for inverse CDFs and logarithms.
    double openUniform();
    /// Uniform integer in [0, n), n > 0, without modulo bias (rejection).
    std::uint64_t below(std::uint64_t n);
    /// Index drawn with probability weights[i] / sum (weights >= 0, sum > 0).
    template<typename Range>
    std::size_t weighted(const Range &weights)
    {
        double total = 0;
        for (const double w : weights)
            total += w;
        const double target = uniform() * total;
        double cumulative = 0;
        std::size_t i = 0, last = 0;
        for (const double w : weights) {
            cumulative += w;
            if (w > 0)
                last = i;
            if (target < cumulative && w > 0)
                return i;
            ++i;
        }
        return last; // rounding left target at the very top
    }

private:
    std::mt19937_64 engine_;
};

} // namespace lathe::sweep::detail
