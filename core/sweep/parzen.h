// Internal to lathe_sweep: one-dimensional Parzen estimators (mixtures of truncated normals,
// discrete ones on a grid, and categorical mixtures) and the normal-distribution functions they
// need, for the TPE sampler (sampler.cpp) and PED-ANOVA (importance.cpp).
#pragma once

#include "core/sweep/random.h"

#include <cstddef>
#include <span>
#include <vector>

namespace lathe::sweep::detail {

/// log(Phi(b) - Phi(a)) for a < b, accurate when both are in one tail; -inf when a >= b.
double logGaussMass(double a, double b);
/// The standard normal quantile Phi^-1(p), p in (0, 1): Acklam's rational approximation and one
/// Halley step (close to full double precision).
double ndtri(double p);

/// A mixture of normals truncated to [low, high]; with step > 0 a discrete one on the points
/// low, low + step, ..., high, each point holding the mass of [x - step/2, x + step/2] out of
/// [low - step/2, high + step/2].
struct NumericMixture
{
    std::vector<double> weights; ///< sum to 1
    std::vector<double> mus;
    std::vector<double> sigmas;
    double low = 0;
    double high = 1;
    double step = 0;

    /// A component by weight, then a draw from it (inverse CDF); on a grid point when step > 0.
    double sample(Random &random) const;
    double logPdf(double x) const;
};

/// A mixture of categorical distributions over `choices` values.
struct CategoricalMixture
{
    std::vector<double> weights;                    ///< per kernel, sum to 1
    std::vector<std::vector<double>> probabilities; ///< per kernel, each sums to 1

    std::size_t sample(Random &random) const;
    double logPdf(std::size_t index) const;
};

/// Optuna's default weights for n observations in trial order: 1 each below 25, else a linear
/// ramp from 1/n up to 1 for the oldest n - 25 and 1 for the newest 25.
std::vector<double> tpeWeights(std::size_t n);

/// TPE's estimator of one numeric dimension (Optuna's univariate defaults): a kernel at each
/// observation with bandwidth the larger distance to its sorted neighbours (the domain's ends,
/// widened by step/2, count as neighbours; the outermost kernels use their inner neighbour
/// only), clipped to [range / min(100, n + 2), range] (the "magic clip", range = high - low +
/// step), plus a prior kernel at the centre with bandwidth `range` and weight `priorWeight`.
NumericMixture tpeNumeric(std::span<const double> observations, std::span<const double> weights,
                          double low, double high, double step, double priorWeight);

/// TPE's estimator of a categorical dimension: each observation's kernel puts 1 on its value
/// and priorWeight / (n + 1) on every value; a prior kernel is uniform.
CategoricalMixture tpeCategorical(std::span<const std::size_t> observations,
                                  std::span<const double> weights, std::size_t choices,
                                  double priorWeight);

} // namespace lathe::sweep::detail
