// A group of runs' curves as one: a centre line (mean or median) and a band, at every x where
// any run of the group has a point (x being the step, the epoch or the time, as the caller
// aligned them). Runs log at different x and end at different x: a run contributes at x when x
// lies within its first and last point, its value there interpolated linearly between its two
// neighbouring points; past its end it contributes nothing, so the band narrows to the runs
// still going and each point says how many those are. NaN and infinite points are skipped.
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lathe::stats {

struct CurvePoint
{
    double x = 0;
    double y = 0;
};

enum class Centre { Mean, Median };
/// The band around the centre: ± one standard deviation, ± one standard error, the runs' min
/// to max, or a 95% percentile bootstrap interval of the mean.
enum class Band { Std, StdError, MinMax, Bootstrap95 };

struct BandPoint
{
    double x = 0;
    double centre = 0;
    double low = 0, high = 0; ///< equal to the centre where one run contributes
    int runs = 0;             ///< how many runs contributed at x
};

struct AggregateOptions
{
    Centre centre = Centre::Mean;
    Band band = Band::Std;
    /// When the runs' x together are more than this, the band is computed at this many evenly
    /// spaced x across their range instead (a plot never needs more); 0: every x.
    std::size_t maxPoints = 2000;
    int bootstrapResamples = 400;
    std::uint64_t seed = 1;
};

/// The group's band. Each series must be sorted by x (a run's metric rows are); points of equal
/// x keep the last. Empty when no series has a finite point.
std::vector<BandPoint> aggregateCurves(const std::vector<std::vector<CurvePoint>> &series,
                                       const AggregateOptions &options = {});

} // namespace lathe::stats
