// The privacy accountant of DP-SGD: Rényi differential privacy (RDP) of the sampled Gaussian
// mechanism, composed over training steps and converted to (epsilon, delta).
//
// One DP-SGD step samples each training example with probability q (Poisson sampling), clips
// each example's gradient to norm C and adds Gaussian noise of standard deviation
// noiseMultiplier * C. Its RDP at order alpha > 1 is log(A_alpha) / (alpha - 1) with
//   A_alpha = E_{z ~ N(0, s^2)} [((1 - q) + q exp((2z - 1) / (2 s^2)))^alpha], s = noiseMultiplier,
// computed as in Mironov, Talwar and Zhang, "Rényi Differential Privacy of the Sampled Gaussian
// Mechanism" (2019): for an integer alpha the finite binomial sum of section 3.2, for a
// fractional one the two converging series of section 3.3, all in log space. RDP composes by
// addition over steps, order by order.
//
// (epsilon, delta) from RDP: for each order, epsilon = rdp + log((alpha - 1) / alpha)
// - (log delta + log alpha) / (alpha - 1) (Balle et al., "Hypothesis Testing Interpretations and
// Renyi Differential Privacy", 2020, Proposition 12, as TensorFlow Privacy and Opacus convert),
// and the smallest over the orders. This gives TensorFlow Privacy's published rows exactly: 60,000
// examples, batch 150, noise 1.3, 15 epochs, delta 1e-5: epsilon 0.7242234026 at order 19.
//
// Pure C++: no LibTorch, no store.
#pragma once

#include "core/util/error.h"

#include <cstdint>
#include <span>
#include <vector>

namespace lathe::privacy {

/// The RDP orders an accountant tracks unless told otherwise: 1.1, 1.2, ..., 10.9, then 12, 13,
/// ..., 63 (TensorFlow Privacy's and Opacus's defaults, without their rarely useful 128-512).
std::vector<double> defaultOrders();

/// RDP at `order` (> 1) of one step of the sampled Gaussian mechanism with sampling rate `q` (in
/// [0, 1]) and noise multiplier `noiseMultiplier` (> 0; 0 gives +inf). 0 when q is 0; order /
/// (2 noiseMultiplier^2) when q is 1 (the Gaussian mechanism itself).
double sampledGaussianRdp(double q, double noiseMultiplier, double order);

/// What a run has spent: epsilon at `delta`, and the RDP order that gave the smallest epsilon.
struct PrivacySpent
{
    double epsilon = 0;
    double delta = 0;
    double order = 0;
};

/// The smallest epsilon over `orders` for the RDP values `rdp` (same length) at `delta` in
/// (0, 1). InvalidArgument for a delta outside (0, 1), lengths that differ, no orders, an order
/// <= 1 or a negative RDP value. Epsilon is +inf when every order's RDP is, and 0 when every
/// order's RDP is 0 (no step was taken: the conversion alone would still say about 0.1).
Result<PrivacySpent> epsilonFromRdp(std::span<const double> orders, std::span<const double> rdp,
                                    double delta);

/// RDP composed over a run's steps. Steps may change their sampling rate or noise (a schedule,
/// a resumed run with another batch size): each addSteps() adds its own RDP.
class RdpAccountant
{
public:
    explicit RdpAccountant(std::vector<double> orders = defaultOrders());

    /// `steps` more steps at sampling rate q and noise multiplier noiseMultiplier.
    void addSteps(double q, double noiseMultiplier, std::int64_t steps);
    /// Epsilon at `delta` for the steps so far (0 before any, at the smallest order).
    Result<PrivacySpent> spent(double delta) const;

    std::span<const double> orders() const { return m_orders; }
    std::span<const double> rdp() const { return m_rdp; }
    /// Back to no steps.
    void reset();

private:
    std::vector<double> m_orders;
    std::vector<double> m_rdp; ///< per order, summed over the steps
};

/// The smallest noise multiplier (to a relative 1e-6) for which `steps` steps at sampling rate q
/// spend at most `targetEpsilon` at `delta`: how a config's target_epsilon becomes noise for the
/// run's length. InvalidArgument for a target <= 0, a delta outside (0, 1), q outside (0, 1] or
/// steps < 1, naming the value; also when no noise multiplier up to 1,000 reaches the target.
Result<double> noiseForEpsilon(double targetEpsilon, double delta, double q, std::int64_t steps,
                               std::span<const double> orders = {});

} // namespace lathe::privacy
