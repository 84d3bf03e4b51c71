#pragma once

#include "core/track/downsample.h"

#include <cstddef>
#include <span>
#include <vector>

// Level of detail for PlotWidget: what of a long series is worth drawing at a given zoom.
namespace lathe::panels {

/// The points of one series to draw for a view; points[viewBegin, viewEnd) lie inside the
/// visible x range, the others are the neighbours just outside it (so lines reach the edges).
/// A point with a NaN y marks a gap.
struct LodSlice
{
    std::vector<track::SeriesPoint> points;
    std::size_t viewBegin = 0;
    std::size_t viewEnd = 0;
};

/// How a view maps x and which y values can be drawn.
struct LodView
{
    double t0 = 0;      ///< visible x range, in axis units (log10 of x when logX)
    double t1 = 1;
    int columns = 1;    ///< pixel columns of the plot area
    bool logX = false;
    bool logY = false;  ///< y <= 0 cannot be drawn on a log axis
};

/// The visible part of `points` (sorted by x) reduced to the min and the max y of each pixel
/// column, in their order (so at most 2 points per column, and spikes survive); a visible part
/// with no more than 2 points per column comes back whole, every stored point. Undrawable y
/// values (NaN, or <= 0 on a log axis) become gaps. Pure function, thread-safe.
LodSlice reduceForView(std::span<const track::SeriesPoint> points, const LodView &view);

/// True when `y` can be drawn (finite, and positive on a log axis).
inline bool drawableY(double y, bool logY)
{
    return y == y && y - y == 0 && (!logY || y > 0);
}

} // namespace lathe::panels
