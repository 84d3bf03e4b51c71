#include "core/sweep/parzen.h"

#include "core/util/log_math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

namespace lathe::sweep::detail {

namespace {

using util::log1mExp;
using util::logNdtr;
using util::logSumExp;

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kLogSqrt2Pi = 0.5 * std::log(2 * std::numbers::pi);

/// Phi(z) from erfc, accurate in the lower tail.
double ndtr(double z)
{
    return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}

/// A draw from the standard normal truncated to [a, b] by its inverse CDF, working in the
/// tail nearer the interval so that neither end rounds to 0 or 1 first.
double truncatedStandardNormal(double a, double b, double u)
{
    if (a > 0) // the upper tail: mirror it onto the lower one
        return -truncatedStandardNormal(-b, -a, 1 - u);
    const double pa = ndtr(a), pb = ndtr(b);
    const double p = pa + u * (pb - pa);
    if (!(p > 0))
        return a;
    if (!(p < 1))
        return b;
    return std::clamp(ndtri(p), a, b);
}

} // namespace

double logGaussMass(double a, double b)
{
    if (!(a < b))
        return -kInf;
    if (b <= 0)
        return logNdtr(b) + log1mExp(logNdtr(a) - logNdtr(b));
    if (a >= 0)
        return logNdtr(-a) + log1mExp(logNdtr(-b) - logNdtr(-a));
    // The interval holds 0: one minus both tails.
    return std::log1p(-ndtr(a) - ndtr(-b));
}

double ndtri(double p)
{
    if (!(p > 0))
        return -kInf;
    if (!(p < 1))
        return kInf;
    // Acklam's algorithm: rational approximations in the centre and the tails (relative
    // error below 1.2e-9).
    static constexpr double a[]
        = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
           1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[]
        = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
           6.680131188771972e+01, -1.328068155288572e+01};
    static constexpr double c[]
        = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
           -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                   2.445134137142996e+00, 3.754408661907416e+00};
    constexpr double pLow = 0.02425;
    double x;
    if (p < pLow || p > 1 - pLow) {
        const double q = std::sqrt(-2 * std::log(p < pLow ? p : 1 - p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        if (p > pLow)
            x = -x;
    } else {
        const double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    // One Halley step on Phi(x) - p, the error computed in the tail p lies in.
    const double e = p < 0.5 ? ndtr(x) - p : (1 - p) - 0.5 * std::erfc(x / std::numbers::sqrt2);
    const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double NumericMixture::sample(Random &random) const
{
    const std::size_t k = random.weighted(weights);
    const double half = step / 2;
    const double a = (low - half - mus[k]) / sigmas[k];
    const double b = (high + half - mus[k]) / sigmas[k];
    const double x = mus[k] + sigmas[k] * truncatedStandardNormal(a, b, random.openUniform());
    if (step > 0)
        return std::clamp(low + std::round((x - low) / step) * step, low, high);
    return std::clamp(x, low, high);
}

double NumericMixture::logPdf(double x) const
{
    std::vector<double> terms(weights.size());
    const double half = step / 2;
    for (std::size_t k = 0; k < weights.size(); ++k) {
        const double mu = mus[k], sigma = sigmas[k];
        const double norm = logGaussMass((low - half - mu) / sigma, (high + half - mu) / sigma);
        double logDensity;
        if (step > 0) {
            logDensity = logGaussMass((x - half - mu) / sigma, (x + half - mu) / sigma) - norm;
        } else {
            const double z = (x - mu) / sigma;
            logDensity = -0.5 * z * z - kLogSqrt2Pi - std::log(sigma) - norm;
        }
        terms[k] = std::log(weights[k]) + logDensity;
    }
    return logSumExp(terms);
}

std::size_t CategoricalMixture::sample(Random &random) const
{
    return random.weighted(probabilities[random.weighted(weights)]);
}

double CategoricalMixture::logPdf(std::size_t index) const
{
    double p = 0;
    for (std::size_t k = 0; k < weights.size(); ++k)
        p += weights[k] * probabilities[k][index];
    return std::log(p);
}

std::vector<double> tpeWeights(std::size_t n)
{
    constexpr std::size_t kFlat = 25;
    std::vector<double> out(n, 1.0);
    if (n < kFlat)
        return out;
    // np.linspace(1/n, 1, n - 25) for the oldest ones.
    const std::size_t ramp = n - kFlat;
    for (std::size_t i = 0; i < ramp; ++i)
        out[i] = ramp == 1 ? 1.0 / double(n)
                           : 1.0 / double(n) + (1 - 1.0 / double(n)) * double(i) / double(ramp - 1);
    return out;
}

NumericMixture tpeNumeric(std::span<const double> observations, std::span<const double> weights,
                          double low, double high, double step, double priorWeight)
{
    const std::size_t n = observations.size();
    const double range = high - low + step;
    const double priorMu = 0.5 * (low + high);

    // Bandwidths: each kernel's larger gap to its neighbours in sorted order (the prior's
    // centre among them, the domain's ends beyond them).
    std::vector<double> mus(observations.begin(), observations.end());
    mus.push_back(priorMu);
    std::vector<std::size_t> order(mus.size());
    std::iota(order.begin(), order.end(), 0);
    std::ranges::stable_sort(order, {}, [&](std::size_t i) { return mus[i]; });
    std::vector<double> sorted{low - step / 2};
    for (const std::size_t i : order)
        sorted.push_back(mus[i]);
    sorted.push_back(high + step / 2);
    const std::size_t m = mus.size();
    std::vector<double> sortedSigmas(m);
    for (std::size_t i = 1; i <= m; ++i)
        sortedSigmas[i - 1] = std::max(sorted[i] - sorted[i - 1], sorted[i + 1] - sorted[i]);
    if (m >= 2) { // the ends of the domain are not neighbours of the outermost kernels
        sortedSigmas[0] = sorted[2] - sorted[1];
        sortedSigmas[m - 1] = sorted[m] - sorted[m - 1];
    }
    const double minSigma = range / std::min(100.0, double(n) + 2);
    std::vector<double> sigmas(m);
    for (std::size_t j = 0; j < m; ++j)
        sigmas[order[j]] = std::clamp(sortedSigmas[j], minSigma, range);

    NumericMixture mixture;
    mixture.low = low;
    mixture.high = high;
    mixture.step = step;
    mixture.mus.assign(observations.begin(), observations.end());
    mixture.sigmas.assign(sigmas.begin(), sigmas.begin() + std::ptrdiff_t(n));
    mixture.weights.assign(weights.begin(), weights.end());
    mixture.mus.push_back(priorMu);
    mixture.sigmas.push_back(range);
    mixture.weights.push_back(n == 0 ? 1.0 : priorWeight);
    const double total = std::accumulate(mixture.weights.begin(), mixture.weights.end(), 0.0);
    for (double &w : mixture.weights)
        w /= total;
    return mixture;
}

CategoricalMixture tpeCategorical(std::span<const std::size_t> observations,
                                  std::span<const double> weights, std::size_t choices,
                                  double priorWeight)
{
    const std::size_t n = observations.size();
    CategoricalMixture mixture;
    const double floor = priorWeight / double(n + 1);
    for (std::size_t k = 0; k <= n; ++k) {
        std::vector<double> row(choices, floor);
        if (k < n)
            row[observations[k]] += 1;
        const double sum = std::accumulate(row.begin(), row.end(), 0.0);
        for (double &p : row)
            p /= sum;
        mixture.probabilities.push_back(std::move(row));
    }
    mixture.weights.assign(weights.begin(), weights.end());
    mixture.weights.push_back(n == 0 ? 1.0 : priorWeight);
    const double total = std::accumulate(mixture.weights.begin(), mixture.weights.end(), 0.0);
    for (double &w : mixture.weights)
        w /= total;
    return mixture;
}

} // namespace lathe::sweep::detail
