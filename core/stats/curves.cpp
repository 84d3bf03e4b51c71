#include "core/stats/curves.h"

#include "core/stats/comparison.h"

#include <algorithm>
#include <cmath>

namespace lathe::stats {

namespace {

/// The series' finite points, one per x (the last of equal x).
std::vector<CurvePoint> cleaned(const std::vector<CurvePoint> &points)
{
    std::vector<CurvePoint> out;
    out.reserve(points.size());
    for (const auto &p : points) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y))
            continue;
        if (!out.empty() && out.back().x == p.x)
            out.back() = p;
        else
            out.push_back(p);
    }
    return out;
}

/// The x at which the band is computed: every distinct x, or `maxPoints` evenly spaced ones.
std::vector<double> gridOf(const std::vector<std::vector<CurvePoint>> &runs, std::size_t maxPoints)
{
    std::vector<double> xs;
    for (const auto &run : runs)
        for (const auto &p : run)
            xs.push_back(p.x);
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    if (maxPoints < 2 || xs.size() <= maxPoints)
        return xs;
    const double first = xs.front(), last = xs.back();
    std::vector<double> grid(maxPoints);
    for (std::size_t i = 0; i < maxPoints; ++i)
        grid[i] = first + (last - first) * double(i) / double(maxPoints - 1);
    return grid;
}

} // namespace

std::vector<BandPoint> aggregateCurves(const std::vector<std::vector<CurvePoint>> &series,
                                       const AggregateOptions &options)
{
    std::vector<std::vector<CurvePoint>> runs;
    for (const auto &s : series)
        if (auto points = cleaned(s); !points.empty())
            runs.push_back(std::move(points));
    const auto grid = gridOf(runs, options.maxPoints);
    std::vector<std::size_t> cursor(runs.size(), 0);
    std::vector<double> values;
    std::vector<BandPoint> out;
    out.reserve(grid.size());
    for (std::size_t g = 0; g < grid.size(); ++g) {
        const double x = grid[g];
        values.clear();
        for (std::size_t r = 0; r < runs.size(); ++r) {
            const auto &run = runs[r];
            if (x < run.front().x || x > run.back().x)
                continue;
            auto &i = cursor[r]; // the first point at or after x; x only grows
            while (run[i].x < x)
                ++i;
            if (run[i].x == x || i == 0) {
                values.push_back(run[i].y);
            } else {
                const auto &a = run[i - 1], &b = run[i];
                values.push_back(a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x));
            }
        }
        if (values.empty())
            continue;
        const auto s = summarize(values);
        BandPoint point{x, options.centre == Centre::Mean ? s.mean : s.median, 0, 0,
                        static_cast<int>(values.size())};
        if (values.size() == 1) {
            point.low = point.high = point.centre;
        } else {
            switch (options.band) {
            case Band::Std:
                point.low = point.centre - s.stddev;
                point.high = point.centre + s.stddev;
                break;
            case Band::StdError: {
                const double error = s.stddev / std::sqrt(double(s.count));
                point.low = point.centre - error;
                point.high = point.centre + error;
                break;
            }
            case Band::MinMax:
                point.low = s.min;
                point.high = s.max;
                break;
            case Band::Bootstrap95: {
                const auto interval = bootstrapMeanInterval(
                    values, 0.95, options.bootstrapResamples, options.seed + g);
                point.low = interval.low;
                point.high = interval.high;
                break;
            }
            }
        }
        out.push_back(point);
    }
    return out;
}

} // namespace lathe::stats
