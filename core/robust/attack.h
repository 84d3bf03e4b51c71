// Adversarial attacks under an L-infinity budget: FGSM and PGD (Goodfellow et al. 2015; Madry et
// al. 2018). Everything here works in pixel space, [0, 1]: epsilon, the step size and the clamp
// are in the units a user reads off an image, whatever normalisation the network's input
// pipeline applies (the Classifier applies it inside, so gradients flow through it).
#pragma once

#include "core/data/normalization.h"
#include "core/model/net.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

namespace lathe::robust {

/// Logits [B,K] of a batch of pixel-space images [B,C,H,W] in [0, 1], differentiable in them.
using Classifier = std::function<torch::Tensor(const torch::Tensor &pixels)>;

/// `net` behind `normalization`: logits of normalization.apply(pixels). The caller sets the
/// net's mode (attacks want eval mode: batch norm's running statistics, no dropout).
Classifier classifierOf(model::Net net, data::Normalization normalization);

/// The attacks by name, for options and messages: "fgsm", "pgd".
enum class AttackKind { Fgsm, Pgd };
const std::vector<std::string> &attackNames();
/// "fgsm" or "pgd"; InvalidArgument naming the valid names otherwise.
Result<AttackKind> parseAttackKind(const std::string &name);
std::string attackName(AttackKind kind);

/// One attack's settings. Epsilon and stepSize are in pixel units (images in [0, 1]).
struct AttackOptions
{
    AttackKind kind = AttackKind::Pgd;
    double epsilon = 0.1;    ///< the L-infinity radius, >= 0
    std::int64_t steps = 40; ///< PGD's iterations, >= 1 (FGSM takes one step)
    /// 0 = the usual default: PGD 2.5·epsilon/steps (Madry et al.); FGSM epsilon, or
    /// 1.25·epsilon with a random start (Wong et al. 2020).
    double stepSize = 0.0;
    bool randomStart = true;   ///< start from a uniform point of the epsilon ball
    std::int64_t restarts = 1; ///< attempts per sample; a sample counts as broken by any
    std::uint64_t seed = 0;    ///< the random starts' private generator (no global state)

    /// The step size in effect (stepSize, or the default above).
    double effectiveStepSize() const;
};

/// The options' own errors (InvalidArgument, context the option's name): a negative or
/// non-finite epsilon, steps or restarts below 1, a negative step size.
Result<void> checkAttackOptions(const AttackOptions &options);

/// The gradient of the summed cross-entropy of `classifier` on `pixels` against `labels` with
/// respect to `pixels` only (no parameter's .grad is touched). Never throws (LibTorch errors
/// become Error).
Result<torch::Tensor> inputGradient(const Classifier &classifier, const torch::Tensor &pixels,
                                    const torch::Tensor &labels);

/// Adversarial examples of `pixels` ([B,C,H,W] in [0, 1]) for `labels` ([B]): each within
/// `options.epsilon` of its image in every pixel and inside [0, 1]. With restarts, each sample
/// keeps the first attempt the classifier gets wrong (else the first). Batched; gradients only
/// with respect to the input. Errors: checkAttackOptions's, Cancelled when `stop` is requested
/// (checked before each step), and LibTorch's as Error.
Result<torch::Tensor> attack(const Classifier &classifier, const torch::Tensor &pixels,
                             const torch::Tensor &labels, const AttackOptions &options,
                             std::stop_token stop = {});

} // namespace lathe::robust
