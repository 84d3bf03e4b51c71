#include "core/privacy/rdp_accountant.h"

#include "core/util/log_math.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace lathe::privacy {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string show(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

/// log(erfc(x)) from the normal's log CDF: erfc(x) = 2 Phi(-x sqrt 2), accurate for large x.
double logErfc(double x)
{
    return std::numbers::ln2 + util::logNdtr(-x * std::numbers::sqrt2);
}

/// log A_alpha for an integer alpha >= 2: sum over i = 0..alpha of
/// C(alpha, i) q^i (1 - q)^(alpha - i) exp((i^2 - i) / (2 s^2)), every term positive.
double logAInteger(double q, double s, int alpha)
{
    std::vector<double> terms;
    terms.reserve(std::size_t(alpha) + 1);
    const double logQ = std::log(q), log1mQ = std::log1p(-q);
    for (int i = 0; i <= alpha; ++i) {
        const double logBinomial
            = std::lgamma(alpha + 1.0) - std::lgamma(i + 1.0) - std::lgamma(alpha - i + 1.0);
        terms.push_back(logBinomial + i * logQ + (alpha - i) * log1mQ
                        + (double(i) * i - i) / (2 * s * s));
    }
    return util::logSumExp(terms);
}

/// log A_alpha for a fractional alpha > 1: A = A0 + A1, split at z0 = s^2 log(1/q - 1) + 1/2
/// where the two mixture components' densities cross, each an infinite series in the generalised
/// binomial coefficients C(alpha, i) (whose sign alternates once i > alpha):
///   A0 = sum_i C(alpha, i) q^i (1-q)^(alpha-i) e^((i^2-i)/(2s^2)) erfc((i - z0)/(sqrt2 s)) / 2
///   A1 = sum_i C(alpha, i) q^(alpha-i) (1-q)^i e^((j^2-j)/(2s^2)) erfc((z0 - j)/(sqrt2 s)) / 2,
/// j = alpha - i. Positive and negative terms are summed apart in log space; the series stop
/// once past alpha their terms are below e^-40 of the sum (A >= 1, so that is absolute too).
double logAFractional(double q, double s, double alpha)
{
    const double logQ = std::log(q), log1mQ = std::log1p(-q);
    const double z0 = s * s * (std::log(1 / q - 1)) + 0.5;
    double positive = -kInf, negative = -kInf;
    double logCoefficient = 0; // log |C(alpha, i)|
    bool coefficientPositive = true;
    for (int i = 0;; ++i) {
        if (i > 0) { // C(alpha, i) = C(alpha, i - 1) (alpha - i + 1) / i
            const double factor = alpha - i + 1;
            logCoefficient += std::log(std::abs(factor)) - std::log(double(i));
            if (factor < 0)
                coefficientPositive = !coefficientPositive;
        }
        const double j = alpha - i;
        const double t0 = logCoefficient + i * logQ + j * log1mQ + (double(i) * i - i) / (2 * s * s)
                          + std::log(0.5) + logErfc((i - z0) / (std::numbers::sqrt2 * s));
        const double t1 = logCoefficient + j * logQ + i * log1mQ + (j * j - j) / (2 * s * s)
                          + std::log(0.5) + logErfc((z0 - j) / (std::numbers::sqrt2 * s));
        const double term = util::logAddExp(t0, t1);
        if (coefficientPositive)
            positive = util::logAddExp(positive, term);
        else
            negative = util::logAddExp(negative, term);
        if (i > alpha + 1 && term < std::max(positive, 0.0) - 40)
            break;
        if (i > 100000)
            break; // cannot happen for finite inputs; a guard against an endless loop
    }
    return positive + util::log1mExp(negative - positive);
}

} // namespace

std::vector<double> defaultOrders()
{
    std::vector<double> orders;
    for (int x = 1; x < 100; ++x)
        orders.push_back(1 + x / 10.0);
    for (int order = 12; order < 64; ++order)
        orders.push_back(order);
    return orders;
}

double sampledGaussianRdp(double q, double noiseMultiplier, double order)
{
    if (q <= 0)
        return 0;
    if (!(noiseMultiplier > 0))
        return kInf;
    if (q >= 1)
        return order / (2 * noiseMultiplier * noiseMultiplier);
    const double nearest = std::round(order);
    const double logA = std::abs(order - nearest) < 1e-12 && nearest >= 2
                            ? logAInteger(q, noiseMultiplier, int(nearest))
                            : logAFractional(q, noiseMultiplier, order);
    return std::max(0.0, logA) / (order - 1);
}

Result<PrivacySpent> epsilonFromRdp(std::span<const double> orders, std::span<const double> rdp,
                                    double delta)
{
    if (!(delta > 0 && delta < 1))
        return fail(ErrorCode::InvalidArgument,
                    "delta " + show(delta)
                        + " is not in (0, 1): a privacy guarantee needs a "
                          "delta such as 1e-5, below 1 / (training examples)",
                    "privacy.delta");
    if (orders.empty() || orders.size() != rdp.size())
        return fail(ErrorCode::InvalidArgument, "expected one RDP value per order, got "
                                                    + std::to_string(rdp.size()) + " values for "
                                                    + std::to_string(orders.size()) + " orders");
    PrivacySpent best{kInf, delta, orders.front()};
    for (std::size_t k = 0; k < orders.size(); ++k) {
        const double alpha = orders[k];
        if (!(alpha > 1))
            return fail(ErrorCode::InvalidArgument,
                        "RDP order " + show(alpha) + " is not greater than 1");
        if (rdp[k] < 0 || std::isnan(rdp[k]))
            return fail(ErrorCode::InvalidArgument,
                        "RDP value " + show(rdp[k]) + " at order " + show(alpha) + " is not >= 0");
        const double epsilon
            = rdp[k] + std::log1p(-1 / alpha) - (std::log(delta) + std::log(alpha)) / (alpha - 1);
        if (epsilon < best.epsilon)
            best = {epsilon, delta, alpha};
    }
    if (std::ranges::all_of(rdp, [](double value) { return value == 0; }))
        return PrivacySpent{0, delta, orders.front()}; // nothing was released
    best.epsilon = std::max(0.0, best.epsilon);
    return best;
}

RdpAccountant::RdpAccountant(std::vector<double> orders)
    : m_orders(std::move(orders))
    , m_rdp(m_orders.size(), 0.0)
{
}

void RdpAccountant::addSteps(double q, double noiseMultiplier, std::int64_t steps)
{
    if (steps <= 0)
        return;
    for (std::size_t k = 0; k < m_orders.size(); ++k)
        m_rdp[k] += double(steps) * sampledGaussianRdp(q, noiseMultiplier, m_orders[k]);
}

Result<PrivacySpent> RdpAccountant::spent(double delta) const
{
    return epsilonFromRdp(m_orders, m_rdp, delta);
}

void RdpAccountant::reset()
{
    std::ranges::fill(m_rdp, 0.0);
}

Result<double> noiseForEpsilon(double targetEpsilon, double delta, double q, std::int64_t steps,
                               std::span<const double> orders)
{
    if (!(targetEpsilon > 0) || std::isinf(targetEpsilon))
        return fail(ErrorCode::InvalidArgument,
                    "target epsilon " + show(targetEpsilon) + " is not a number > 0",
                    "privacy.target_epsilon");
    if (!(q > 0 && q <= 1))
        return fail(ErrorCode::InvalidArgument,
                    "sampling rate " + show(q) + " is not in (0, 1]: batch size / examples");
    if (steps < 1)
        return fail(ErrorCode::InvalidArgument,
                    "the run has " + std::to_string(steps) + " steps: nothing to spend");
    const std::vector<double> fallback = orders.empty() ? defaultOrders() : std::vector<double>{};
    const std::span<const double> used
        = orders.empty() ? std::span<const double>(fallback) : orders;
    const auto epsilonAt = [&](double noise) -> Result<double> {
        RdpAccountant accountant({used.begin(), used.end()});
        accountant.addSteps(q, noise, steps);
        auto spent = accountant.spent(delta);
        if (!spent)
            return std::unexpected(spent.error());
        return spent->epsilon;
    };
    constexpr double kMaxNoise = 1000;
    auto atMax = epsilonAt(kMaxNoise);
    if (!atMax)
        return std::unexpected(atMax.error());
    if (*atMax > targetEpsilon)
        return fail(ErrorCode::InvalidArgument,
                    "no noise multiplier up to " + show(kMaxNoise) + " keeps "
                        + std::to_string(steps) + " steps at sampling rate " + show(q)
                        + " within epsilon " + show(targetEpsilon) + " at delta " + show(delta),
                    "privacy.target_epsilon");
    // Epsilon falls as the noise grows: bisect in log space between a noise that spends too
    // much and one that does not.
    double low = 1e-3, high = kMaxNoise;
    auto atLow = epsilonAt(low);
    if (!atLow)
        return std::unexpected(atLow.error());
    if (*atLow <= targetEpsilon)
        return low;
    while (high / low > 1 + 1e-6) {
        const double mid = std::sqrt(low * high);
        auto eps = epsilonAt(mid);
        if (!eps)
            return std::unexpected(eps.error());
        (*eps > targetEpsilon ? low : high) = mid;
    }
    return high;
}

} // namespace lathe::privacy
