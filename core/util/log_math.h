// Arithmetic in log space, and the standard normal's log CDF, for computations whose terms
// under- or overflow as plain doubles: core/sweep's Parzen estimators and core/privacy's RDP
// accountant.
#pragma once

#include <span>

namespace lathe::util {

/// log(sum exp(terms)) without overflow; -inf for no terms or all -inf.
double logSumExp(std::span<const double> terms);
/// log(exp(a) + exp(b)).
double logAddExp(double a, double b);
/// log(1 - exp(x)) for x <= 0, accurate near 0 and far below it; -inf for x >= 0.
double log1mExp(double x);
/// log Phi(z), the standard normal CDF, accurate in both tails (an asymptotic series below -20).
double logNdtr(double z);

} // namespace lathe::util
