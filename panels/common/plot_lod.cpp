#include "panels/common/plot_lod.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lathe::panels {

namespace {

using track::SeriesPoint;

constexpr double kGapY = std::numeric_limits<double>::quiet_NaN();

// The index range [begin, end) of points whose x lies in the view.
std::pair<std::size_t, std::size_t> visibleRange(std::span<const SeriesPoint> points,
                                                 const LodView &view)
{
    double lo = view.t0;
    double hi = view.t1;
    if (view.logX) {
        lo = std::pow(10.0, lo);
        hi = std::pow(10.0, hi);
    }
    auto byX = [](const SeriesPoint &p, double x) { return p.x < x; };
    auto xBy = [](double x, const SeriesPoint &p) { return x < p.x; };
    auto first = std::lower_bound(points.begin(), points.end(), lo, byX);
    auto last = std::upper_bound(first, points.end(), hi, xBy);
    return {std::size_t(first - points.begin()), std::size_t(last - points.begin())};
}

// Min and max of one pixel column, kept in index order.
struct Column
{
    std::size_t minI = 0, maxI = 0;
    double minY = 0, maxY = 0;
    double firstX = 0;
    bool any = false;
    bool started = false;

    void flush(std::span<const SeriesPoint> points, std::vector<SeriesPoint> &out) const
    {
        if (!started)
            return;
        if (!any) {
            out.push_back({firstX, kGapY});
        } else if (minI == maxI) {
            out.push_back(points[minI]);
        } else {
            out.push_back(points[std::min(minI, maxI)]);
            out.push_back(points[std::max(minI, maxI)]);
        }
    }
};

void reduceColumns(std::span<const SeriesPoint> points, std::size_t begin, std::size_t end,
                   const LodView &view, std::vector<SeriesPoint> &out)
{
    const double scale = view.columns / (view.t1 - view.t0);
    const int lastColumn = view.columns - 1;
    Column column;
    int current = -1;
    for (std::size_t i = begin; i < end; ++i) {
        const SeriesPoint &p = points[i];
        const double t = view.logX ? std::log10(p.x) : p.x;
        const int c = std::clamp(int((t - view.t0) * scale), 0, lastColumn);
        if (c != current) {
            column.flush(points, out);
            column = Column{};
            column.started = true;
            column.firstX = p.x;
            current = c;
        }
        if (!drawableY(p.y, view.logY))
            continue;
        if (!column.any || p.y < column.minY) {
            column.minY = p.y;
            column.minI = i;
        }
        if (!column.any || p.y > column.maxY) {
            column.maxY = p.y;
            column.maxI = i;
        }
        column.any = true;
    }
    column.flush(points, out);
}

} // namespace

LodSlice reduceForView(std::span<const SeriesPoint> points, const LodView &view)
{
    LodSlice slice;
    if (points.empty() || !(view.t1 > view.t0) || view.columns < 1)
        return slice;
    const auto [begin, end] = visibleRange(points, view);
    const std::size_t count = end - begin;
    slice.points.reserve(std::min(count, std::size_t(view.columns) * 2) + 2);
    if (begin > 0)
        slice.points.push_back(points[begin - 1]);
    slice.viewBegin = slice.points.size();
    if (count <= std::size_t(view.columns) * 2) {
        slice.points.insert(slice.points.end(), points.begin() + begin, points.begin() + end);
        for (std::size_t i = slice.viewBegin; i < slice.points.size(); ++i) {
            if (!drawableY(slice.points[i].y, view.logY))
                slice.points[i].y = kGapY;
        }
    } else {
        reduceColumns(points, begin, end, view, slice.points);
    }
    slice.viewEnd = slice.points.size();
    if (end < points.size())
        slice.points.push_back(points[end]);
    return slice;
}

} // namespace lathe::panels
