#include "core/dist/sync_batch_norm.h"

#include "core/dist/process_group.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::dist {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Every dimension but the channels' (1): what one channel's statistics sum over.
std::vector<std::int64_t> reducedDims(const torch::Tensor &x)
{
    std::vector<std::int64_t> dims{0};
    for (std::int64_t d = 2; d < x.dim(); ++d)
        dims.push_back(d);
    return dims;
}

// [C] -> [1, C, 1, ...], to broadcast over x.
torch::Tensor perChannel(const torch::Tensor &v, const torch::Tensor &x)
{
    std::vector<std::int64_t> shape(std::size_t(x.dim()), 1);
    shape[1] = v.size(0);
    return v.view(shape);
}

// Sums `values` over the ranks in place. A failure (a worker gone) leaves them this rank's and
// is kept in the context for DataParallelGroup to end the step with: an autograd function has
// no Result to return.
void sumOverRanks(SyncBatchNormContext &context, torch::Tensor &values)
{
    if (!context.group || context.failure)
        return;
    auto summed = values.clone();
    if (auto ok = context.group->allreduceSum(summed); !ok) {
        context.failure = ok.error();
        return;
    }
    values = summed;
}

struct SyncBatchNormFunction : torch::autograd::Function<SyncBatchNormFunction>
{
    // runningMean/runningVar may be undefined (track_running_stats off); factor is the running
    // statistics' update weight.
    static torch::Tensor forward(AutogradContext *ctx, torch::Tensor x, torch::Tensor weight,
                                 torch::Tensor bias, torch::Tensor runningMean,
                                 torch::Tensor runningVar, double factor, double eps,
                                 SyncBatchNormContext *context)
    {
        const auto dims = reducedDims(x);
        const std::int64_t channels = x.size(1);
        const auto xd = x.to(torch::kDouble);
        auto stats = torch::cat({xd.sum(dims), (xd * xd).sum(dims),
                                 torch::full({1}, double(x.numel() / channels), torch::kDouble)});
        sumOverRanks(*context, stats);
        const double n = stats[2 * channels].item<double>();
        const auto mean = stats.slice(0, 0, channels) / n;
        const auto var = (stats.slice(0, channels, 2 * channels) / n - mean * mean).clamp_min(0.0);
        const auto invstd = (var + eps).rsqrt();
        if (runningMean.defined()) {
            runningMean.mul_(1.0 - factor).add_(mean.to(runningMean.scalar_type()), factor);
            const double unbiased = n > 1 ? n / (n - 1) : 1.0;
            runningVar.mul_(1.0 - factor)
                .add_((var * unbiased).to(runningVar.scalar_type()), factor);
        }
        auto y = (xd - perChannel(mean, x)) * perChannel(invstd, x);
        if (weight.defined())
            y = y * perChannel(weight.to(torch::kDouble), x)
                + perChannel(bias.to(torch::kDouble), x);
        ctx->save_for_backward({x, weight});
        ctx->saved_data["mean"] = mean;
        ctx->saved_data["invstd"] = invstd;
        ctx->saved_data["count"] = n;
        // The context outlives the graph: the layer that owns it built the graph.
        ctx->saved_data["context"] = std::int64_t(reinterpret_cast<std::intptr_t>(context));
        return y.to(x.scalar_type());
    }

    static variable_list backward(AutogradContext *ctx, variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto &x = saved[0];
        const auto &weight = saved[1];
        const auto mean = ctx->saved_data["mean"].toTensor();
        const auto invstd = ctx->saved_data["invstd"].toTensor();
        const double n = ctx->saved_data["count"].toDouble();
        auto *context = reinterpret_cast<SyncBatchNormContext *>(
            std::intptr_t(ctx->saved_data["context"].toInt()));
        const auto dims = reducedDims(x);
        const std::int64_t channels = x.size(1);
        const auto dy = grads[0].to(torch::kDouble);
        const auto xhat = (x.to(torch::kDouble) - perChannel(mean, x)) * perChannel(invstd, x);
        const auto sumDy = dy.sum(dims);
        const auto sumDyXhat = (dy * xhat).sum(dims);
        // The weight's and the bias's gradients are this rank's part: the reducer sums them.
        torch::Tensor gradWeight, gradBias;
        if (weight.defined()) {
            gradWeight = sumDyXhat.to(weight.scalar_type());
            gradBias = sumDy.to(weight.scalar_type());
        }
        auto global = torch::cat({sumDy, sumDyXhat});
        sumOverRanks(*context, global);
        const auto meanDy = global.slice(0, 0, channels) / n;
        const auto meanDyXhat = global.slice(0, channels, 2 * channels) / n;
        auto scale = weight.defined() ? invstd * weight.to(torch::kDouble) : invstd;
        auto gradX = (dy - perChannel(meanDy, x) - xhat * perChannel(meanDyXhat, x))
                     * perChannel(scale, x);
        return {gradX.to(x.scalar_type()), gradWeight, gradBias, {}, {}, {}, {}, {}};
    }
};

// Wraps stage `name` when it is a batch norm of kind Impl; whether it was one.
template<typename Impl>
bool wrapIf(model::Net &net, const std::string &name, const std::shared_ptr<torch::nn::Module> &m,
            const std::shared_ptr<SyncBatchNormContext> &context)
{
    auto bn = std::dynamic_pointer_cast<Impl>(m);
    if (!bn)
        return false;
    SyncBatchNorm sync(bn->options, bn->weight, bn->bias, bn->running_mean, bn->running_var,
                       bn->num_batches_tracked, context);
    sync->train(bn->is_training());
    return net->replaceStage(name, torch::nn::AnyModule(sync)).has_value();
}

bool isBatchNorm(const torch::nn::Module &m)
{
    return dynamic_cast<const torch::nn::BatchNorm1dImpl *>(&m)
           || dynamic_cast<const torch::nn::BatchNorm2dImpl *>(&m)
           || dynamic_cast<const torch::nn::BatchNorm3dImpl *>(&m);
}

} // namespace

SyncBatchNormImpl::SyncBatchNormImpl(const torch::nn::BatchNormOptions &options,
                                     torch::Tensor weight, torch::Tensor bias,
                                     torch::Tensor runningMean, torch::Tensor runningVar,
                                     torch::Tensor batchesTracked,
                                     std::shared_ptr<SyncBatchNormContext> context)
    : m_options(options)
    , m_context(std::move(context))
{
    // The same tensors under the same names: what the optimizer and checkpoints already hold.
    if (options.affine()) {
        m_weight = register_parameter("weight", weight);
        m_bias = register_parameter("bias", bias);
    }
    if (options.track_running_stats()) {
        m_runningMean = register_buffer("running_mean", runningMean);
        m_runningVar = register_buffer("running_var", runningVar);
        m_batchesTracked = register_buffer("num_batches_tracked", batchesTracked);
    }
}

torch::Tensor SyncBatchNormImpl::forward(const torch::Tensor &x)
{
    const bool tracking = m_options.track_running_stats();
    if (!is_training())
        return torch::nn::functional::detail::batch_norm(
            x, m_runningMean, m_runningVar, m_weight, m_bias, !tracking,
            m_options.momentum().value_or(0.0), m_options.eps());
    double factor = 0.0;
    if (tracking) {
        m_batchesTracked.add_(1);
        factor
            = m_options.momentum() ? *m_options.momentum() : 1.0 / m_batchesTracked.item<double>();
    }
    return SyncBatchNormFunction::apply(x, m_weight, m_bias, m_runningMean, m_runningVar, factor,
                                        m_options.eps(), m_context.get());
}

Result<int> synchroniseBatchNorm(model::Net &net, std::shared_ptr<SyncBatchNormContext> context)
{
    int synchronised = 0;
    for (const auto &child : net->named_children()) {
        const auto &name = child.key();
        const auto &module = child.value();
        if (std::dynamic_pointer_cast<SyncBatchNormImpl>(module)) {
            ++synchronised;
            continue;
        }
        if (wrapIf<torch::nn::BatchNorm1dImpl>(net, name, module, context)
            || wrapIf<torch::nn::BatchNorm2dImpl>(net, name, module, context)
            || wrapIf<torch::nn::BatchNorm3dImpl>(net, name, module, context))
            ++synchronised;
    }
    for (const auto &item : net->named_modules()) {
        if (isBatchNorm(*item.value()))
            return fail(ErrorCode::InvalidArgument,
                        "batch norm layer \"" + item.key() + "\" of " + net->arch()
                            + " is inside a block: only batch norm stages of their own (the "
                              "cnn's bn1, bn2, ...) can be synchronised; set it false to train "
                              "with each rank's statistics",
                        "training.sync_batch_norm");
    }
    return synchronised;
}

} // namespace lathe::dist
