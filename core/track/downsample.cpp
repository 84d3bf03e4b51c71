#include "core/track/downsample.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace lathe::track {

namespace {

using Points = std::span<const SeriesPoint>;

// First index of middle bucket i (of `middle` buckets over points 1 .. n-2), in integer
// arithmetic so that the last boundary lands exactly on n - 1.
std::size_t bucketStart(std::size_t i, std::size_t n, std::size_t middle)
{
    return 1 + i * (n - 2) / middle;
}

// Mean of the non-NaN points in [from, to); `fallback` when there are none.
SeriesPoint average(Points points, std::size_t from, std::size_t to, SeriesPoint fallback)
{
    double sx = 0, sy = 0;
    std::size_t count = 0;
    for (std::size_t j = from; j < to; ++j) {
        if (std::isnan(points[j].y))
            continue;
        sx += points[j].x;
        sy += points[j].y;
        ++count;
    }
    if (count == 0)
        return fallback;
    return {sx / double(count), sy / double(count)};
}

// Index in [from, to) forming the largest triangle with a and c. A NaN area compares false,
// so NaN points lose to any finite one; with no finite area the bucket's first point wins.
std::size_t largestTriangle(Points points, std::size_t from, std::size_t to, SeriesPoint a,
                            SeriesPoint c)
{
    std::size_t best = from;
    double bestArea = -1;
    for (std::size_t j = from; j < to; ++j) {
        const auto &b = points[j];
        const double area = std::abs((a.x - c.x) * (b.y - a.y) - (a.x - b.x) * (c.y - a.y));
        if (area > bestArea) {
            bestArea = area;
            best = j;
        }
    }
    return best;
}

struct Extremes
{
    std::optional<std::size_t> min;
    std::optional<std::size_t> max;
};

Extremes extremes(Points points)
{
    Extremes e;
    for (std::size_t j = 0; j < points.size(); ++j) {
        const double y = points[j].y;
        if (std::isnan(y))
            continue;
        if (!e.min || y < points[*e.min].y)
            e.min = j;
        if (!e.max || y > points[*e.max].y)
            e.max = j;
    }
    return e;
}

// Puts `index` in place of the pick of its bucket, or of the nearest bucket whose pick is not
// itself protected; does nothing when no bucket is free.
void forceKeep(std::vector<std::size_t> &picks, std::vector<bool> &locked,
               const std::vector<std::size_t> &starts, std::size_t index)
{
    const auto home
        = std::size_t(std::upper_bound(starts.begin(), starts.end(), index) - starts.begin() - 1);
    for (std::size_t distance = 0; distance < picks.size(); ++distance) {
        for (const std::size_t k : {home - distance, home + distance}) {
            // k wraps to a huge value below zero, so one bound check covers both sides.
            if (k < picks.size() && !locked[k]) {
                picks[k] = index;
                locked[k] = true;
                return;
            }
        }
    }
}

void keepExtremes(Points points, std::vector<std::size_t> &picks,
                  const std::vector<std::size_t> &starts)
{
    const auto e = extremes(points);
    std::vector<bool> locked(picks.size(), false);
    for (const auto &index : {e.min, e.max}) {
        if (!index || *index == 0 || *index == points.size() - 1)
            continue;
        if (std::find(picks.begin(), picks.end(), *index) != picks.end()) {
            const auto at
                = std::size_t(std::find(picks.begin(), picks.end(), *index) - picks.begin());
            locked[at] = true;
            continue;
        }
        forceKeep(picks, locked, starts, *index);
    }
    std::sort(picks.begin(), picks.end());
}

} // namespace

std::vector<SeriesPoint> downsampleLttb(Points points, std::size_t target)
{
    const std::size_t n = points.size();
    if (n <= target)
        return {points.begin(), points.end()};
    if (target == 0)
        return {};
    if (target == 1)
        return {points.front()};
    if (target == 2)
        return {points.front(), points.back()};

    const std::size_t middle = target - 2;
    std::vector<std::size_t> starts(middle + 1);
    for (std::size_t i = 0; i <= middle; ++i)
        starts[i] = bucketStart(i, n, middle);

    std::vector<std::size_t> picks(middle);
    SeriesPoint a = points.front();
    for (std::size_t i = 0; i < middle; ++i) {
        const std::size_t nextTo = i + 1 < middle ? starts[i + 2] : n;
        const SeriesPoint c = average(points, starts[i + 1], nextTo, a);
        picks[i] = largestTriangle(points, starts[i], starts[i + 1], a, c);
        a = points[picks[i]];
    }
    keepExtremes(points, picks, starts);

    std::vector<SeriesPoint> out;
    out.reserve(target);
    out.push_back(points.front());
    for (const std::size_t index : picks)
        out.push_back(points[index]);
    out.push_back(points.back());
    return out;
}

std::vector<SeriesPoint> downsampleMinMax(Points points, std::size_t buckets)
{
    const std::size_t n = points.size();
    if (buckets == 0)
        return {};
    if (n <= 2 * buckets)
        return {points.begin(), points.end()};
    std::vector<SeriesPoint> out;
    out.reserve(2 * buckets);
    for (std::size_t b = 0; b < buckets; ++b) {
        const std::size_t from = b * n / buckets;
        const auto bucket = points.subspan(from, (b + 1) * n / buckets - from);
        const auto e = extremes(bucket);
        if (!e.min) {
            out.push_back(bucket.front());
            continue;
        }
        const auto first = std::min(*e.min, *e.max);
        const auto last = std::max(*e.min, *e.max);
        out.push_back(bucket[first]);
        if (last != first)
            out.push_back(bucket[last]);
    }
    return out;
}

} // namespace lathe::track
