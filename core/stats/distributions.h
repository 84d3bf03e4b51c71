// Student's t distribution and the function beneath it, for the tests in comparison.h. Written
// out (a continued fraction, as in every numerical library) rather than pulled in: Lathe needs
// these two and nothing else of a statistics package.
#pragma once

namespace lathe::stats {

/// The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1], to about
/// 1e-12 relative (Lentz's continued fraction, its symmetric form where it converges faster).
/// NaN outside the domain. Thread-safe.
double regularizedIncompleteBeta(double a, double b, double x);

/// P(T <= t) for Student's t with `df` > 0 degrees of freedom (df may be fractional, as
/// Welch-Satterthwaite gives). NaN for df <= 0 or NaN t. Thread-safe.
double studentTCdf(double t, double df);

/// The t with studentTCdf(t, df) == p, for p in (0, 1) (bisection to 1e-12). NaN otherwise.
double studentTQuantile(double p, double df);

} // namespace lathe::stats
