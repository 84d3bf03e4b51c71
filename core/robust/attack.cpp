#include "core/robust/attack.h"

#include "core/util/join.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace lathe::robust {

namespace {

/// Keeps `x` within `epsilon` of `clean` and inside the pixel range [0, 1].
torch::Tensor project(const torch::Tensor &x, const torch::Tensor &clean, double epsilon)
{
    return torch::min(torch::max(x, clean - epsilon), clean + epsilon).clamp(0.0, 1.0);
}

torch::Tensor randomStart(const torch::Tensor &clean, double epsilon, at::Generator &generator)
{
    // Drawn on the CPU from the attack's own generator, then moved to the images' device.
    auto noise = torch::rand(clean.sizes(), generator, clean.options().device(torch::kCPU))
                         .to(clean.device())
                     * (2.0 * epsilon)
                 - epsilon;
    return project(clean + noise, clean, epsilon);
}

/// One attempt: an optional random start, then `steps` signed-gradient steps, each projected.
Result<torch::Tensor> attempt(const Classifier &classifier, const torch::Tensor &clean,
                              const torch::Tensor &labels, const AttackOptions &options,
                              at::Generator &generator, const std::stop_token &stop)
{
    const double epsilon = options.epsilon;
    const double alpha = options.effectiveStepSize();
    const std::int64_t steps = options.kind == AttackKind::Fgsm ? 1 : options.steps;
    torch::Tensor x = options.randomStart ? randomStart(clean, epsilon, generator) : clean;
    for (std::int64_t s = 0; s < steps; ++s) {
        if (stop.stop_requested())
            return fail(ErrorCode::Cancelled, "the attack was stopped");
        auto gradient = inputGradient(classifier, x, labels);
        if (!gradient)
            return gradient;
        x = project(x + alpha * gradient->sign(), clean, epsilon);
    }
    return x.detach();
}

} // namespace

Classifier classifierOf(model::Net net, data::Normalization normalization)
{
    return [net, normalization](const torch::Tensor &pixels) mutable {
        return net->forward(normalization.apply(pixels));
    };
}

const std::vector<std::string> &attackNames()
{
    static const std::vector<std::string> names{"fgsm", "pgd"};
    return names;
}

Result<AttackKind> parseAttackKind(const std::string &name)
{
    if (name == "fgsm")
        return AttackKind::Fgsm;
    if (name == "pgd")
        return AttackKind::Pgd;
    return fail(ErrorCode::InvalidArgument,
                "unknown attack \"" + name
                    + "\"; expected one of: " + util::join(attackNames(), ", "),
                "attack");
}

std::string attackName(AttackKind kind)
{
    return kind == AttackKind::Fgsm ? "fgsm" : "pgd";
}

double AttackOptions::effectiveStepSize() const
{
    if (stepSize > 0.0)
        return stepSize;
    if (kind == AttackKind::Pgd)
        return 2.5 * epsilon / double(std::max<std::int64_t>(steps, 1));
    return randomStart ? 1.25 * epsilon : epsilon;
}

Result<void> checkAttackOptions(const AttackOptions &options)
{
    if (!std::isfinite(options.epsilon) || options.epsilon < 0.0)
        return fail(
            ErrorCode::InvalidArgument,
            "epsilon " + std::to_string(options.epsilon)
                + " is out of range; expected a number >= 0 (pixel units, images in [0, 1])",
            "epsilon");
    if (options.kind == AttackKind::Pgd && options.steps < 1)
        return fail(ErrorCode::InvalidArgument,
                    "PGD needs at least 1 step (steps is " + std::to_string(options.steps) + ")",
                    "steps");
    if (options.restarts < 1)
        return fail(ErrorCode::InvalidArgument,
                    "restarts must be at least 1 (restarts is " + std::to_string(options.restarts)
                        + ")",
                    "restarts");
    if (!std::isfinite(options.stepSize) || options.stepSize < 0.0)
        return fail(ErrorCode::InvalidArgument,
                    "the step size must be >= 0 (0 = the default for the attack)", "step_size");
    return {};
}

Result<torch::Tensor> inputGradient(const Classifier &classifier, const torch::Tensor &pixels,
                                    const torch::Tensor &labels)
{
    try {
        torch::AutoGradMode enable(true);
        auto x = pixels.detach().clone().requires_grad_(true);
        auto loss = torch::nn::functional::cross_entropy(
            classifier(x).to(torch::kFloat), labels,
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
        // autograd::grad computes the input's gradient only: no parameter's .grad changes.
        return torch::autograd::grad({loss}, {x})[0].detach();
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, std::string("the input gradient failed: ") + e.what(),
                    "attack");
    }
}

Result<torch::Tensor> attack(const Classifier &classifier, const torch::Tensor &pixels,
                             const torch::Tensor &labels, const AttackOptions &options,
                             std::stop_token stop)
{
    if (auto ok = checkAttackOptions(options); !ok)
        return std::unexpected(ok.error());
    const torch::Tensor clean = pixels.detach();
    if (options.epsilon == 0.0)
        return clean.clone();
    at::Generator generator = at::detail::createCPUGenerator(options.seed);
    torch::Tensor best, unbroken; // unbroken: the samples no attempt has broken yet
    for (std::int64_t r = 0; r < options.restarts; ++r) {
        auto x = attempt(classifier, clean, labels, options, generator, stop);
        if (!x)
            return x;
        if (options.restarts == 1)
            return x;
        torch::Tensor broken;
        try {
            torch::NoGradGuard noGrad;
            broken = classifier(*x).argmax(1).ne(labels);
        } catch (const std::exception &e) {
            return fail(ErrorCode::Internal, std::string("the attack failed: ") + e.what(),
                        "attack");
        }
        if (!best.defined()) {
            best = *x;
            unbroken = broken.logical_not();
        } else {
            // Samples first broken by this attempt take it; the others keep what they have.
            const auto take = unbroken.logical_and(broken).view({-1, 1, 1, 1});
            best = torch::where(take, *x, best);
            unbroken = unbroken.logical_and(broken.logical_not());
        }
        if (!unbroken.any().item<bool>())
            break;
    }
    return best;
}

} // namespace lathe::robust
