#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace lathe::data {

/// A tiny, fully specified pseudo-random generator (SplitMix64). Lathe uses it instead of
/// std:: distributions or LibTorch generators wherever a result must be bit-identical across
/// standard libraries and LibTorch versions: split assignment, epoch order, augmentation
/// parameters. Not thread-safe: one instance per thread.
class SplitMix64
{
public:
    explicit SplitMix64(std::uint64_t seed)
        : m_state(seed)
    {
    }

    /// The next 64 random bits.
    std::uint64_t next()
    {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }

    /// Uniform double in [lo, hi).
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

    /// Uniform integer in [0, bound); bound must be > 0 (bias below 2^-40 for bound < 2^24).
    std::uint64_t below(std::uint64_t bound) { return next() % bound; }

private:
    std::uint64_t m_state;
};

/// Combines several values (seed, epoch, batch, ...) into one well-mixed seed; the order
/// matters. Pure function, thread-safe.
inline std::uint64_t mixSeed(std::initializer_list<std::uint64_t> parts)
{
    std::uint64_t h = 0x6a09e667f3bcc909ULL;
    for (std::uint64_t part : parts) {
        SplitMix64 mixer(h ^ part);
        h = mixer.next();
    }
    return h;
}

/// Shuffles `values` in place (Fisher-Yates driven by `rng`). Same seed, same order on every
/// platform. Not thread-safe with respect to `rng`.
template<typename T>
void shuffleInPlace(std::vector<T> &values, SplitMix64 &rng)
{
    for (std::size_t i = values.size(); i > 1; --i) {
        const std::size_t j = std::size_t(rng.below(i));
        std::swap(values[i - 1], values[j]);
    }
}

} // namespace lathe::data
