#include "core/stats/distributions.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lathe::stats {

namespace {

constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

/// The continued fraction of I_x(a, b) (converges fast for x < (a + 1) / (a + b + 2)).
double betaFraction(double a, double b, double x)
{
    constexpr double tiny = 1e-300;
    constexpr double epsilon = 1e-15;
    double c = 1.0;
    double d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / (std::abs(d) < tiny ? tiny : d);
    double h = d;
    for (int m = 1; m <= 10000; ++m) {
        const double m2 = 2.0 * m;
        // The even step, then the odd step of the fraction.
        for (const double numerator : {m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)),
                                       -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))}) {
            d = 1.0 + numerator * d;
            d = 1.0 / (std::abs(d) < tiny ? tiny : d);
            c = 1.0 + numerator / c;
            c = std::abs(c) < tiny ? tiny : c;
            h *= d * c;
        }
        if (std::abs(d * c - 1.0) < epsilon)
            break;
    }
    return h;
}

} // namespace

double regularizedIncompleteBeta(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1))
        return kUndefined;
    if (x == 0 || x == 1)
        return x;
    const double logFront = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x)
                            + b * std::log1p(-x);
    const double front = std::exp(logFront);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * betaFraction(a, b, x) / a;
    return 1.0 - front * betaFraction(b, a, 1.0 - x) / b;
}

double studentTCdf(double t, double df)
{
    if (!(df > 0) || std::isnan(t))
        return kUndefined;
    if (std::isinf(t))
        return t > 0 ? 1.0 : 0.0;
    // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2).
    const double tail = 0.5 * regularizedIncompleteBeta(df / 2.0, 0.5, df / (df + t * t));
    return t > 0 ? 1.0 - tail : tail;
}

double studentTQuantile(double p, double df)
{
    if (!(p > 0) || !(p < 1) || !(df > 0))
        return kUndefined;
    double low = -1.0, high = 1.0;
    while (studentTCdf(low, df) > p)
        low *= 2.0;
    while (studentTCdf(high, df) < p)
        high *= 2.0;
    for (int i = 0; i < 200 && high - low > 1e-12 * std::max(1.0, std::abs(low)); ++i) {
        const double middle = 0.5 * (low + high);
        (studentTCdf(middle, df) < p ? low : high) = middle;
    }
    return 0.5 * (low + high);
}

} // namespace lathe::stats
