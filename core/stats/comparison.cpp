#include "core/stats/comparison.h"

#include "core/stats/distributions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace lathe::stats {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> finite(std::span<const double> values)
{
    std::vector<double> out;
    out.reserve(values.size());
    for (const double v : values)
        if (std::isfinite(v))
            out.push_back(v);
    return out;
}

double mean(const std::vector<double> &values)
{
    return std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

/// Sample variance (n - 1).
double variance(const std::vector<double> &values, double centre)
{
    double sum = 0;
    for (const double v : values)
        sum += (v - centre) * (v - centre);
    return sum / double(values.size() - 1);
}

/// n choose k, or nullopt past 2^63.
std::optional<std::uint64_t> choose(std::uint64_t n, std::uint64_t k)
{
    k = std::min(k, n - k);
    unsigned __int128 result = 1;
    for (std::uint64_t i = 1; i <= k; ++i) {
        result = result * (n - k + i) / i;
        if (result > std::numeric_limits<std::int64_t>::max())
            return std::nullopt;
    }
    return static_cast<std::uint64_t>(result);
}

/// A p-value as people write it: 3 significant digits, "< 0.0001" below that.
std::string pText(double p)
{
    if (p < 1e-4)
        return "p < 0.0001";
    return fmt::format("p = {:.3g}", p);
}

} // namespace

Summary summarize(std::span<const double> values)
{
    auto kept = finite(values);
    Summary s;
    s.count = kept.size();
    if (kept.empty()) {
        s.mean = s.stddev = s.min = s.max = s.median = kNaN;
        return s;
    }
    std::sort(kept.begin(), kept.end());
    s.mean = mean(kept);
    s.stddev = kept.size() > 1 ? std::sqrt(variance(kept, s.mean)) : kNaN;
    s.min = kept.front();
    s.max = kept.back();
    const std::size_t half = kept.size() / 2;
    s.median = kept.size() % 2 ? kept[half] : 0.5 * (kept[half - 1] + kept[half]);
    return s;
}

std::optional<WelchTest> welchTest(std::span<const double> a, std::span<const double> b,
                                   double level)
{
    const auto x = finite(a), y = finite(b);
    if (x.size() < 2 || y.size() < 2)
        return std::nullopt;
    const double mx = mean(x), my = mean(y);
    const double sx = variance(x, mx) / double(x.size());
    const double sy = variance(y, my) / double(y.size());
    WelchTest test;
    test.difference = my - mx;
    test.standardError = std::sqrt(sx + sy);
    if (test.standardError == 0) {
        test.degreesOfFreedom = double(x.size() + y.size() - 2);
        test.t = test.difference == 0 ? 0 : std::copysign(INFINITY, test.difference);
        test.pValue = test.difference == 0 ? 1 : 0;
        test.low = test.high = test.difference;
        return test;
    }
    test.degreesOfFreedom
        = (sx + sy) * (sx + sy) / (sx * sx / double(x.size() - 1) + sy * sy / double(y.size() - 1));
    test.t = test.difference / test.standardError;
    test.pValue = std::min(1.0, 2.0 * studentTCdf(-std::abs(test.t), test.degreesOfFreedom));
    const double q = studentTQuantile(0.5 + level / 2.0, test.degreesOfFreedom);
    test.low = test.difference - q * test.standardError;
    test.high = test.difference + q * test.standardError;
    return test;
}

std::optional<PermutationTest> permutationTest(std::span<const double> a, std::span<const double> b,
                                               std::uint64_t maxExact, std::uint64_t samples,
                                               std::uint64_t seed)
{
    const auto x = finite(a), y = finite(b);
    if (x.empty() || y.empty())
        return std::nullopt;
    std::vector<double> pooled(x);
    pooled.insert(pooled.end(), y.begin(), y.end());
    const std::size_t n = pooled.size(), k = y.size();
    const double total = std::accumulate(pooled.begin(), pooled.end(), 0.0);
    const auto differenceOf
        = [&](double sumB) { return sumB / double(k) - (total - sumB) / double(n - k); };
    const double observed = std::abs(differenceOf(std::accumulate(y.begin(), y.end(), 0.0)));
    // Ties up to rounding count as "at least as extreme".
    const double threshold = observed - 1e-12 * std::max(1.0, std::abs(observed));
    PermutationTest test;
    std::uint64_t hits = 0;
    const auto splits = choose(n, k);
    if (splits && *splits <= maxExact) {
        // Every k-subset as group B, in lexicographic order of indices.
        std::vector<std::size_t> index(k);
        std::iota(index.begin(), index.end(), 0);
        while (true) {
            double sumB = 0;
            for (const std::size_t i : index)
                sumB += pooled[i];
            hits += std::abs(differenceOf(sumB)) >= threshold;
            ++test.permutations;
            std::size_t i = k;
            while (i > 0 && index[i - 1] == n - k + i - 1)
                --i;
            if (i == 0)
                break;
            ++index[i - 1];
            for (std::size_t j = i; j < k; ++j)
                index[j] = index[j - 1] + 1;
        }
        test.exact = true;
        test.pValue = double(hits) / double(test.permutations);
        return test;
    }
    std::mt19937_64 random(seed);
    std::vector<double> shuffled(pooled);
    for (std::uint64_t s = 0; s < samples; ++s) {
        // A partial Fisher-Yates shuffle draws group B's k values.
        double sumB = 0;
        for (std::size_t i = 0; i < k; ++i) {
            std::uniform_int_distribution<std::size_t> pick(i, n - 1);
            std::swap(shuffled[i], shuffled[pick(random)]);
            sumB += shuffled[i];
        }
        hits += std::abs(differenceOf(sumB)) >= threshold;
    }
    test.permutations = samples;
    test.pValue = double(hits + 1) / double(samples + 1);
    return test;
}

Interval bootstrapMeanInterval(std::span<const double> values, double level, int resamples,
                               std::uint64_t seed)
{
    const auto x = finite(values);
    if (x.empty())
        return {kNaN, kNaN};
    if (x.size() == 1 || resamples < 1)
        return {x[0], x[0]};
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<std::size_t> pick(0, x.size() - 1);
    std::vector<double> means(static_cast<std::size_t>(resamples));
    for (double &m : means) {
        double sum = 0;
        for (std::size_t i = 0; i < x.size(); ++i)
            sum += x[pick(random)];
        m = sum / double(x.size());
    }
    std::sort(means.begin(), means.end());
    const auto at = [&](double q) {
        const double position = q * double(means.size() - 1);
        const auto below = static_cast<std::size_t>(std::floor(position));
        const std::size_t above = std::min(below + 1, means.size() - 1);
        return means[below] + (position - double(below)) * (means[above] - means[below]);
    };
    return {at((1.0 - level) / 2.0), at((1.0 + level) / 2.0)};
}

std::string verdict(std::span<const double> a, std::span<const double> b, const VerdictWords &words)
{
    const auto sa = summarize(a), sb = summarize(b);
    const std::string counts
        = fmt::format("{} vs {} run{}", sa.count, sb.count, sb.count == 1 ? "" : "s");
    if (sa.count < 2 || sb.count < 2) {
        std::string repeat = sa.count < 2 && sb.count < 2 ? "both"
                             : sa.count < 2               ? words.nameA
                                                          : words.nameB;
        return fmt::format("{}: no conclusion is possible from a single run per side; repeat {} "
                           "(at least 2 runs each, 5 for a useful test) to compare",
                           counts, repeat);
    }
    const auto welch = *welchTest(a, b);
    const auto permutation = permutationTest(a, b);
    const auto number = [&](double v) { return fmt::format("{:.3g}", v * words.scale); };
    const std::string unit = words.unit.empty() ? "" : " " + words.unit;
    // The interval of the difference as stated: of B - A, or of A - B when A is the larger.
    const bool flip = welch.difference < 0 && !(welch.low <= 0 && welch.high >= 0);
    const std::string evidence
        = fmt::format("(95% CI {} to {}), {} (Welch), {} (permutation{}), {}",
                      number(flip ? -welch.high : welch.low),
                      number(flip ? -welch.low : welch.high), pText(welch.pValue),
                      pText(permutation->pValue), permutation->exact ? ", exact" : "", counts);
    if (welch.low <= 0 && welch.high >= 0)
        return fmt::format("no significant difference on {}: {} - {} = {}{} {}", words.metric,
                           words.nameB, words.nameA, number(welch.difference), unit, evidence);
    const bool bBetter = (welch.difference > 0) == words.higherIsBetter;
    return fmt::format("{} is better than {} on {}: {} by {}{} {}",
                       bBetter ? words.nameB : words.nameA, bBetter ? words.nameA : words.nameB,
                       words.metric, words.higherIsBetter ? "higher" : "lower",
                       number(std::abs(welch.difference)), unit, evidence);
}

} // namespace lathe::stats
