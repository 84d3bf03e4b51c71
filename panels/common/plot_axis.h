#pragma once

#include <QString>

#include <vector>

// Axis helpers of PlotWidget: where the ticks go and how numbers are written.
namespace lathe::panels {

/// About `target` tick positions on steps of 1, 2 or 5 times a power of ten, covering
/// [lo, hi] (only those inside it). Empty for a range that is not finite or not increasing.
/// Pure function, thread-safe.
std::vector<double> niceTicks(double lo, double hi, int target);

/// Ticks for a log axis given in log10 units [lo, hi]: returns log10 of the tick values:
/// 1-2-5 multiples of each decade (or every n-th decade) when the range spans decades, plain
/// nice ticks of the values otherwise. Pure function, thread-safe.
std::vector<double> logTicks(double lo, double hi, int target);

/// A short label for a tick value ("0.25", "1.2k", "3e-05"), exact enough for ticks spaced
/// by `step` (0: unknown). Pure function, thread-safe.
QString formatTick(double value, double step = 0);

/// An exact reading of a value ("0.0123456", "12345", "nan") for hover read-outs.
/// Pure function, thread-safe.
QString formatExact(double value);

} // namespace lathe::panels
