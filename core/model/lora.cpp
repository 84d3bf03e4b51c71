#include "core/model/lora.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace lathe::model {

LoraLinearImpl::LoraLinearImpl(torch::nn::Linear base, std::int64_t rank, double alpha,
                               double dropout)
    : m_base(register_module("base", std::move(base)))
    , m_dropout(register_module("dropout", torch::nn::Dropout(dropout)))
    , m_scale(alpha / double(rank))
{
    const auto out = m_base->weight.size(0), in = m_base->weight.size(1);
    for (auto &p : m_base->parameters())
        p.set_requires_grad(false);
    // A as nn.Linear initialises its weight (Kaiming uniform, a = sqrt(5)), B at zero.
    const double bound = 1.0 / std::sqrt(double(in));
    m_a = register_parameter("lora_a", torch::empty({rank, in}).uniform_(-bound, bound));
    m_b = register_parameter("lora_b", torch::zeros({out, rank}));
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor &x)
{
    const torch::Tensor update = torch::nn::functional::linear(
        torch::nn::functional::linear(m_dropout->forward(x), m_a), m_b);
    return m_base->forward(x) + update * m_scale;
}

torch::Tensor LoraLinearImpl::mergedWeight() const
{
    torch::NoGradGuard noGrad;
    return m_base->weight + torch::mm(m_b, m_a) * m_scale;
}

Result<std::vector<std::string>> applyLora(Net &net, std::int64_t rank, double alpha,
                                           double dropout, const std::vector<std::string> &targets)
{
    std::vector<std::string> wrapped;
    const auto children = net->named_children();
    std::set<std::string> importedLayers;
    for (const auto &name : net->stageNames())
        if (auto layered = std::dynamic_pointer_cast<LayeredStage>(children[name]))
            for (auto &layer : layered->layerNames())
                importedLayers.insert(std::move(layer));
    for (const auto &name : targets) {
        const bool linearStage
            = children.contains(name)
              && std::dynamic_pointer_cast<torch::nn::LinearImpl>(children[name]);
        if (!linearStage && !importedLayers.count(name))
            return fail(ErrorCode::InvalidArgument,
                        "\"" + name
                            + "\" is not a Linear stage of this model, nor a layer of an "
                              "imported one",
                        "finetune.lora_targets");
    }
    for (const auto &name : net->stageNames()) {
        if (auto layered = std::dynamic_pointer_cast<LayeredStage>(children[name])) {
            // An imported model adapts its own layers: those the targets name, or all.
            const auto own = layered->layerNames();
            std::vector<std::string> mine;
            for (const auto &target : targets)
                if (std::find(own.begin(), own.end(), target) != own.end())
                    mine.push_back(target);
            if (!targets.empty() && mine.empty())
                continue;
            auto added = layered->addAdapters(rank, alpha, mine);
            if (!added && !targets.empty())
                return std::unexpected(added.error());
            if (added)
                wrapped.insert(wrapped.end(), added->begin(), added->end());
            continue;
        }
        auto linear = std::dynamic_pointer_cast<torch::nn::LinearImpl>(children[name]);
        const bool wanted
            = targets.empty() || std::find(targets.begin(), targets.end(), name) != targets.end();
        if (!linear || !wanted)
            continue;
        auto replaced = net->replaceStage(
            name,
            torch::nn::AnyModule(LoraLinear(torch::nn::Linear(linear), rank, alpha, dropout)));
        if (!replaced)
            return std::unexpected(replaced.error());
        wrapped.push_back(name);
    }
    if (wrapped.empty())
        return fail(ErrorCode::InvalidArgument, "the model has no Linear stage or layer to adapt",
                    "finetune.lora_rank");
    return wrapped;
}

std::int64_t mergeLora(Net &net)
{
    std::int64_t merged = 0;
    const auto children = net->named_children();
    for (const auto &name : net->stageNames()) {
        if (auto layered = std::dynamic_pointer_cast<LayeredStage>(children[name])) {
            merged += layered->mergeAdapters();
            continue;
        }
        auto lora = std::dynamic_pointer_cast<LoraLinearImpl>(children[name]);
        if (!lora)
            continue;
        const auto &base = lora->base();
        torch::nn::Linear plain(torch::nn::LinearOptions(base->weight.size(1), base->weight.size(0))
                                    .bias(base->bias.defined()));
        torch::NoGradGuard noGrad;
        plain->weight.copy_(lora->mergedWeight());
        if (base->bias.defined())
            plain->bias.copy_(base->bias);
        if (net->replaceStage(name, torch::nn::AnyModule(plain)))
            ++merged;
    }
    return merged;
}

} // namespace lathe::model
