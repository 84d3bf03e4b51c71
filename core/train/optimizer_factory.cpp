#include "core/train/optimizer_factory.h"

#include "core/train/config_validation.h"
#include "core/util/join.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace lathe::train {

namespace {

using OptimizerPtr = std::unique_ptr<torch::optim::Optimizer>;

Result<void> checkConfig(const OptimizerConfig &config, std::size_t parameterCount)
{
    const auto &names = optimizerNames();
    if (std::find(names.begin(), names.end(), config.name) == names.end())
        return fail(ErrorCode::InvalidArgument,
                    "unknown optimizer \"" + config.name
                        + "\"; expected one of: " + util::join(names),
                    "optimizer.name");
    if (!std::isfinite(config.lr) || config.lr <= 0.0)
        return fail(ErrorCode::InvalidArgument,
                    "value " + detail::showValue(config.lr) + " is out of range; expected lr > 0",
                    "optimizer.lr");
    if (config.name == "sgd" && config.nesterov && !(config.momentum > 0.0))
        return fail(ErrorCode::InvalidArgument,
                    "nesterov needs momentum > 0 (optimizer.momentum is "
                        + detail::showValue(config.momentum) + ")",
                    "optimizer.nesterov");
    if (parameterCount == 0)
        return fail(ErrorCode::InvalidArgument,
                    "no parameters to optimize (is every layer frozen?)", "optimizer");
    return {};
}

OptimizerPtr build(const OptimizerConfig &c, std::vector<torch::Tensor> params)
{
    namespace optim = torch::optim;
    const auto betas = std::make_tuple(c.beta1, c.beta2);
    if (c.name == "sgd")
        return std::make_unique<optim::SGD>(std::move(params), optim::SGDOptions(c.lr)
                                                                   .momentum(c.momentum)
                                                                   .dampening(0.0)
                                                                   .weight_decay(c.weightDecay)
                                                                   .nesterov(c.nesterov));
    if (c.name == "adam")
        return std::make_unique<optim::Adam>(
            std::move(params),
            optim::AdamOptions(c.lr).betas(betas).eps(c.eps).weight_decay(c.weightDecay));
    if (c.name == "adamw")
        return std::make_unique<optim::AdamW>(
            std::move(params),
            optim::AdamWOptions(c.lr).betas(betas).eps(c.eps).weight_decay(c.weightDecay));
    return std::make_unique<optim::RMSprop>(std::move(params), optim::RMSpropOptions(c.lr)
                                                                   .alpha(c.alpha)
                                                                   .eps(c.eps)
                                                                   .weight_decay(c.weightDecay)
                                                                   .momentum(c.momentum)
                                                                   .centered(false));
}

} // namespace

const std::vector<std::string> &optimizerNames()
{
    static const std::vector<std::string> names{"sgd", "adam", "adamw", "rmsprop"};
    return names;
}

Result<OptimizerPtr> makeOptimizer(const OptimizerConfig &config, std::vector<torch::Tensor> params)
{
    if (auto ok = checkConfig(config, params.size()); !ok)
        return std::unexpected(ok.error());
    try {
        return build(config, std::move(params));
    } catch (const c10::Error &e) {
        return fail(ErrorCode::InvalidArgument,
                    std::string("LibTorch rejected the settings: ") + e.what_without_backtrace(),
                    "optimizer");
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, std::string("could not build the optimizer: ") + e.what(),
                    "optimizer");
    }
}

void setLearningRate(torch::optim::Optimizer &optimizer, double lr)
{
    for (auto &group : optimizer.param_groups()) {
        if (group.has_options())
            group.options().set_lr(lr);
    }
}

void setLearningRates(torch::optim::Optimizer &optimizer, double lr,
                      const std::vector<double> &scales)
{
    auto &groups = optimizer.param_groups();
    for (std::size_t i = 0; i < groups.size(); ++i)
        if (groups[i].has_options())
            groups[i].options().set_lr(lr * (i < scales.size() ? scales[i] : 1.0));
}

void setWeightDecay(torch::optim::Optimizer &optimizer, double weightDecay)
{
    namespace optim = torch::optim;
    for (auto &group : optimizer.param_groups()) {
        if (!group.has_options())
            continue;
        auto *options = &group.options();
        if (auto *adamw = dynamic_cast<optim::AdamWOptions *>(options))
            adamw->weight_decay(weightDecay);
        else if (auto *adam = dynamic_cast<optim::AdamOptions *>(options))
            adam->weight_decay(weightDecay);
        else if (auto *sgd = dynamic_cast<optim::SGDOptions *>(options))
            sgd->weight_decay(weightDecay);
        else if (auto *rmsprop = dynamic_cast<optim::RMSpropOptions *>(options))
            rmsprop->weight_decay(weightDecay);
    }
}

double learningRate(const torch::optim::Optimizer &optimizer)
{
    const auto &groups = optimizer.param_groups();
    if (groups.empty() || !groups.front().has_options())
        return 0.0;
    return groups.front().options().get_lr();
}

} // namespace lathe::train
