#include "core/train/fused_step.h"

#include "kernels/fused_adamw/fused_adamw.h"
#include "kernels/softmax_cross_entropy/softmax_cross_entropy.h"

#include <c10/util/string_utils.h>

namespace lathe::train {

namespace {

/// The hyperparameters and amsgrad flag of one group's AdamOptions or AdamWOptions.
template<typename Options>
kernels::AdamWHyper hyperOf(const torch::optim::OptimizerOptions &options, bool &amsgrad)
{
    const auto &o = static_cast<const Options &>(options);
    amsgrad = o.amsgrad();
    return {o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(), o.weight_decay()};
}

/// Gathers the parameters with gradients and their state, creating missing state entries as
/// torch::optim does (step 0, zero moments in the parameter's memory format).
template<typename State>
void collect(torch::optim::Optimizer &optimizer, const std::vector<torch::Tensor> &params,
             kernels::AdamWTensors &out, std::vector<State *> &states)
{
    auto &stateMap = optimizer.state();
    for (const auto &p : params) {
        if (!p.grad().defined())
            continue;
        const auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
        auto found = stateMap.find(key);
        if (found == stateMap.end()) {
            auto state = std::make_unique<State>();
            state->step(0);
            state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
            state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
            found = stateMap.insert_or_assign(key, std::move(state)).first;
        }
        auto &state = static_cast<State &>(*found->second);
        out.params.push_back(p);
        out.grads.push_back(p.grad());
        out.expAvg.push_back(state.exp_avg());
        out.expAvgSq.push_back(state.exp_avg_sq());
        out.steps.push_back(state.step() + 1);
        states.push_back(&state);
    }
}

template<typename Options, typename State>
Result<double> stepAll(torch::optim::Optimizer &optimizer, bool decoupled, double maxGradNorm)
{
    // Clipping is global over every group, so the norm is taken over all of them at once;
    // with one group (what makeOptimizer builds) this is a single fused call.
    const auto &groups = optimizer.param_groups();
    if (groups.size() != 1)
        return fail(ErrorCode::Internal, "the fused Adam step expects one parameter group");
    bool amsgrad = false;
    auto hyper = hyperOf<Options>(groups.front().options(), amsgrad);
    if (amsgrad)
        return fail(ErrorCode::Internal, "the fused Adam step does not implement amsgrad");
    hyper.decoupled = decoupled;
    hyper.maxGradNorm = maxGradNorm;
    kernels::AdamWTensors tensors;
    std::vector<State *> states;
    torch::NoGradGuard noGrad;
    collect<State>(optimizer, groups.front().params(), tensors, states);
    auto norm = kernels::fusedAdamW(tensors, hyper);
    if (!norm)
        return std::unexpected(norm.error());
    if (std::isfinite(*norm))
        for (std::size_t i = 0; i < states.size(); ++i)
            states[i]->step(tensors.steps[i]);
    return norm;
}

} // namespace

bool usesFusedAdam(const RunConfig &config)
{
    return config.training.fused
           && (config.optimizer.name == "adam" || config.optimizer.name == "adamw");
}

Result<double> fusedAdamStep(torch::optim::Optimizer &optimizer, bool decoupled,
                             double maxGradNorm)
{
    if (decoupled && dynamic_cast<torch::optim::AdamW *>(&optimizer))
        return stepAll<torch::optim::AdamWOptions, torch::optim::AdamWParamState>(
            optimizer, true, maxGradNorm);
    if (!decoupled && dynamic_cast<torch::optim::Adam *>(&optimizer))
        return stepAll<torch::optim::AdamOptions, torch::optim::AdamParamState>(
            optimizer, false, maxGradNorm);
    return fail(ErrorCode::Internal, "the fused Adam step needs a torch::optim::Adam or AdamW");
}

Result<torch::Tensor> fusedCrossEntropyBackward(const torch::Tensor &logits,
                                                const torch::Tensor &targets,
                                                double labelSmoothing, double scale)
{
    torch::Tensor grad, loss;
    {
        torch::NoGradGuard noGrad;
        auto result = kernels::softmaxCrossEntropy(logits.detach().to(torch::kFloat), targets,
                                                   labelSmoothing, scale);
        if (!result)
            return std::unexpected(result.error());
        grad = result->grad.to(logits.scalar_type());
        loss = result->loss;
    }
    logits.backward(grad);
    return loss;
}

} // namespace lathe::train
