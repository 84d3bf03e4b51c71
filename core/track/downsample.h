#pragma once

#include <cstddef>
#include <span>
#include <vector>

// Reducing a long series to about as many points as there are pixels, keeping its shape.
namespace lathe::track {

/// One (x, y) sample of a plotted series.
struct SeriesPoint
{
    double x = 0;
    double y = 0;
};

/// Largest-Triangle-Three-Buckets (Steinarsson 2013) down to `target` points, in x order.
/// Keeps the first and last points and, when target >= 4, the global min and max y (each
/// replaces the pick of its bucket, or of the nearest free bucket). Input with <= target
/// points comes back unchanged; target 1 gives the first point, 2 the first and last.
/// NaN y values are never picked over a finite one and cannot crash it. Assumes the input is
/// sorted by x (buckets are by index). Pure function, thread-safe.
std::vector<SeriesPoint> downsampleLttb(std::span<const SeriesPoint> points, std::size_t target);

/// The min and the max y of each of `buckets` equal-count buckets, in x order (one point when
/// they coincide), so at most 2 * buckets points; spikes always survive. Input with
/// <= 2 * buckets points comes back unchanged; a bucket of only NaN gives its first point.
/// Pure function, thread-safe.
std::vector<SeriesPoint> downsampleMinMax(std::span<const SeriesPoint> points, std::size_t buckets);

} // namespace lathe::track
