// Is the difference between two groups of runs real? The summary of a group's final metric,
// Welch's t-test with its Welch-Satterthwaite degrees of freedom and confidence interval, an
// exact (or, past a size, Monte Carlo) permutation test for small groups, a percentile
// bootstrap interval, and the sentence a user reads. NaN values (a run without the metric) are
// left out everywhere and the counts say how many were used. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace lathe::stats {

/// A group's values: count, mean, sample standard deviation (n - 1; NaN below 2 values), min,
/// max, median. All NaN when no value is finite.
struct Summary
{
    std::size_t count = 0;
    double mean = 0, stddev = 0, min = 0, max = 0, median = 0;
};
Summary summarize(std::span<const double> values);

/// Welch's unequal-variance t-test of mean(b) - mean(a).
struct WelchTest
{
    double difference = 0;       ///< mean(b) - mean(a)
    double standardError = 0;    ///< sqrt(var_a / n_a + var_b / n_b)
    double degreesOfFreedom = 0; ///< Welch-Satterthwaite
    double t = 0;
    double pValue = 1;        ///< two-sided
    double low = 0, high = 0; ///< the `level` confidence interval of the difference
};
/// nullopt when either side has fewer than 2 finite values. Equal constant groups give p = 1
/// and a zero-width interval; different constant groups p = 0.
std::optional<WelchTest> welchTest(std::span<const double> a, std::span<const double> b,
                                   double level = 0.95);

/// A two-sided permutation test of the difference of means: the share of the splits of the
/// pooled values into groups of the two sizes whose |difference| is at least the observed one.
struct PermutationTest
{
    double pValue = 1;
    std::uint64_t permutations = 0; ///< splits looked at
    bool exact = false;             ///< every split (else `permutations` random ones)
};
/// Exact when the number of splits is at most `maxExact`, else `samples` random splits from
/// `seed` (p = (hits + 1) / (samples + 1)). nullopt when either side has no finite value.
std::optional<PermutationTest> permutationTest(std::span<const double> a, std::span<const double> b,
                                               std::uint64_t maxExact = 1'000'000,
                                               std::uint64_t samples = 100'000,
                                               std::uint64_t seed = 1);

/// A percentile bootstrap interval of the mean: `resamples` resamples from `seed`. Both NaN
/// for no finite value; the value itself for one.
struct Interval
{
    double low = 0, high = 0;
};
Interval bootstrapMeanInterval(std::span<const double> values, double level = 0.95,
                               int resamples = 2000, std::uint64_t seed = 1);

/// What to call the groups and their metric in the verdict.
struct VerdictWords
{
    std::string nameA = "A", nameB = "B";
    std::string metric;         ///< "test/accuracy"
    bool higherIsBetter = true; ///< false for a loss
    double scale = 1;           ///< 100 for an accuracy in [0, 1], shown in points
    std::string unit;           ///< "points" (empty: none)
};

/// One plain sentence: with fewer than 2 runs on a side, that no conclusion is possible and
/// repeats would allow one ("1 vs 5 runs: no conclusion ...; repeat A ..."); else "B is better
/// than A on test/accuracy: higher by 0.34 points (95% CI 0.12 to 0.56), p = 0.008 (Welch),
/// p = 0.00794 (permutation, exact), 5 vs 5 runs" (the interval is of the stated difference),
/// or, when the interval contains 0, "no significant difference on ...: B - A = 0.05 points
/// (95% CI -0.21 to 0.31), p = 0.62 ...".
std::string verdict(std::span<const double> a, std::span<const double> b,
                    const VerdictWords &words);

} // namespace lathe::stats
