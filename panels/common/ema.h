#pragma once

#include "core/track/downsample.h"

#include <span>
#include <vector>

// Debiased exponential moving average, as TensorBoard smooths its scalars.
namespace lathe::panels {

/// The running state of a debiased EMA, so that a growing series is smoothed incrementally:
/// smoothing the rows appended since the last call gives the same values as smoothing the
/// whole series again.
struct EmaState
{
    double ema = 0;      ///< the biased average so far
    double decayed = 1;  ///< weight^t, t = finite samples seen
};

/// Appends to `out` the debiased EMA of `in`'s y values (x kept): ema_t = w * ema_{t-1} +
/// (1 - w) * y_t, shown as ema_t / (1 - w^t). `weight` is clamped to [0, 0.999]; 0 copies
/// the input. Non-finite y values come out unchanged and leave the state as it was.
/// Pure function, thread-safe.
void appendEma(std::span<const track::SeriesPoint> in, double weight, EmaState &state,
               std::vector<track::SeriesPoint> &out);

/// The debiased EMA of a whole series (see appendEma). Pure function, thread-safe.
std::vector<track::SeriesPoint> smoothEma(std::span<const track::SeriesPoint> in, double weight);

} // namespace lathe::panels
