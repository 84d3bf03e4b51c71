#pragma once

// Timing shared by the C++ benchmarks.

#include "core/util/clock.h"

#include <algorithm>
#include <functional>
#include <vector>

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

/// The median of `values` (the upper one of an even count); `values` must not be empty.
inline double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

/// The median time in milliseconds of `repeats` runs of `body`, after one warm-up run.
inline double medianMs(const std::function<void()> &body, int repeats)
{
    body();
    std::vector<double> times;
    for (int r = 0; r < repeats; ++r) {
        const double start = util::monotonicNow();
        body();
        times.push_back((util::monotonicNow() - start) * 1000.0);
    }
    return median(std::move(times));
}

} // namespace lathe::bench
