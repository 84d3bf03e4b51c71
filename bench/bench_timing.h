#pragma once

// Timing shared by the C++ benchmarks.

#include "core/util/clock.h"

#include <algorithm>
#include <functional>

namespace lathe::bench {

/// Best time per call (seconds) of `body` run `calls` times, over `repeats` rounds, after one
/// warm-up call (allocations, state creation, the OpenMP team).
inline double bestPerCall(const std::function<void()> &body, int calls, int repeats)
{
    body();
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
        const double start = util::monotonicNow();
        for (int i = 0; i < calls; ++i)
            body();
        best = std::min(best, (util::monotonicNow() - start) / calls);
    }
    return best;
}

} // namespace lathe::bench
