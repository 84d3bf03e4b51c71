#include "core/util/log_math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace lathe::util {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

} // namespace

double logSumExp(std::span<const double> terms)
{
    double top = -kInf;
    for (const double t : terms)
        top = std::max(top, t);
    if (top == -kInf)
        return -kInf;
    double sum = 0;
    for (const double t : terms)
        sum += std::exp(t - top);
    return top + std::log(sum);
}

double logAddExp(double a, double b)
{
    const double top = std::max(a, b);
    if (top == -kInf)
        return -kInf;
    return top + std::log1p(std::exp(std::min(a, b) - top));
}

double log1mExp(double x)
{
    if (x >= 0)
        return -kInf;
    return x > -std::numbers::ln2 ? std::log(-std::expm1(x)) : std::log1p(-std::exp(x));
}

double logNdtr(double z)
{
    if (z > 6)
        return std::log1p(-0.5 * std::erfc(z / std::numbers::sqrt2));
    if (z > -20)
        return std::log(0.5 * std::erfc(-z / std::numbers::sqrt2));
    // Phi(z) = phi(z) / -z * (1 - 1/z^2 + 3/z^4 - 15/z^6 + 105/z^8 - ...) for z -> -inf.
    const double r = 1 / (z * z);
    const double series = 1 - r * (1 - 3 * r * (1 - 5 * r * (1 - 7 * r)));
    return -0.5 * z * z - 0.5 * std::log(2 * std::numbers::pi) - std::log(-z) + std::log(series);
}

} // namespace lathe::util
