#include "core/privacy/per_sample_gradients.h"

#include <map>

namespace lathe::privacy {

namespace {

namespace F = torch::nn::functional;
using Kind = PerSampleGradients::Kind;

bool isBatchNorm(const torch::nn::Module &module)
{
    return dynamic_cast<const torch::nn::BatchNorm1dImpl *>(&module)
           || dynamic_cast<const torch::nn::BatchNorm2dImpl *>(&module)
           || dynamic_cast<const torch::nn::BatchNorm3dImpl *>(&module);
}

/// The first batch norm in `module` or below it ("" for the module itself); nullopt if none.
std::optional<std::string> batchNormIn(const std::shared_ptr<torch::nn::Module> &module)
{
    if (isBatchNorm(*module))
        return std::string();
    for (const auto &item : module->named_modules("", false))
        if (isBatchNorm(*item.value()))
            return item.key();
    return std::nullopt;
}

std::optional<Kind> kindOf(const torch::nn::Module &module)
{
    if (dynamic_cast<const torch::nn::LinearImpl *>(&module))
        return Kind::Linear;
    if (const auto *conv = dynamic_cast<const torch::nn::Conv2dImpl *>(&module))
        if (c10::holds_alternative<torch::ExpandingArray<2>>(conv->options.padding())
            && c10::holds_alternative<torch::enumtype::kZeros>(conv->options.padding_mode()))
            return Kind::Conv2d;
    if (dynamic_cast<const torch::nn::GroupNormImpl *>(&module))
        return Kind::GroupNorm;
    if (dynamic_cast<const torch::nn::LayerNormImpl *>(&module))
        return Kind::LayerNorm;
    return std::nullopt;
}

bool trainable(const std::shared_ptr<torch::nn::Module> &module)
{
    for (const auto &p : module->parameters())
        if (p.requires_grad())
            return true;
    return false;
}

Error unsupported(const std::string &stage, const std::string &why)
{
    return Error{ErrorCode::InvalidArgument,
                 "layer \"" + stage + "\" " + why
                     + "; DP-SGD supports Linear, Conv2d, GroupNorm and LayerNorm layers (the "
                       "zoo's \"cnn-gn\", \"cnn-tanh\" and \"cnn-gn-tanh\" are private-ready)",
                 "privacy.enabled"};
}

/// Per-example gradients of a Linear's weight and bias from its input a [B, ..., in] and the
/// gradient g [B, ..., out] of its output; the weight's in `buffer`'s first B rows (grown when
/// too small or of another type).
std::pair<torch::Tensor, torch::Tensor> linearGrads(const torch::Tensor &a, const torch::Tensor &g,
                                                    torch::Tensor &buffer)
{
    const auto b = a.size(0);
    const auto a3 = a.reshape({b, -1, a.size(-1)});
    const auto g3 = g.reshape({b, -1, g.size(-1)});
    if (!buffer.defined() || buffer.size(0) < b || buffer.size(1) != g3.size(2)
        || buffer.size(2) != a3.size(2) || buffer.options().dtype() != a3.options().dtype()
        || buffer.device() != a3.device())
        buffer = torch::empty({b, g3.size(2), a3.size(2)}, a3.options());
    auto weight = buffer.narrow(0, 0, b);
    torch::bmm_out(weight, g3.transpose(1, 2), a3);
    return {weight, g3.sum(1)};
}

std::pair<torch::Tensor, torch::Tensor> convGrads(const torch::nn::Conv2dImpl &conv,
                                                  const torch::Tensor &a, const torch::Tensor &g)
{
    const auto &o = conv.options;
    const auto b = a.size(0);
    const auto groups = o.groups();
    const auto patches = F::unfold(a, F::UnfoldFuncOptions(o.kernel_size())
                                          .dilation(o.dilation())
                                          .padding(c10::get<torch::ExpandingArray<2>>(o.padding()))
                                          .stride(o.stride()));
    const auto l = patches.size(2);
    const auto u = patches.reshape({b, groups, -1, l});
    const auto go = g.reshape({b, groups, -1, l});
    std::vector<std::int64_t> shape{b};
    const auto sizes = conv.weight.sizes();
    shape.insert(shape.end(), sizes.begin(), sizes.end());
    auto weight
        = torch::einsum("bgol,bgil->bgoi", std::vector<torch::Tensor>{go, u}).reshape(shape);
    return {weight, g.reshape({b, g.size(1), -1}).sum(2)};
}

std::pair<torch::Tensor, torch::Tensor>
groupNormGrads(const torch::nn::GroupNormImpl &norm, const torch::Tensor &a, const torch::Tensor &g)
{
    const auto &o = norm.options;
    const auto normalised = F::group_norm(a, F::GroupNormFuncOptions(o.num_groups()).eps(o.eps()));
    const auto b = a.size(0), c = a.size(1);
    return {(g * normalised).reshape({b, c, -1}).sum(2), g.reshape({b, c, -1}).sum(2)};
}

std::pair<torch::Tensor, torch::Tensor>
layerNormGrads(const torch::nn::LayerNormImpl &norm, const torch::Tensor &a, const torch::Tensor &g)
{
    const auto &o = norm.options;
    const auto normalised
        = F::layer_norm(a, F::LayerNormFuncOptions(o.normalized_shape()).eps(o.eps()));
    std::vector<std::int64_t> shape{a.size(0)};
    shape.insert(shape.end(), o.normalized_shape().begin(), o.normalized_shape().end());
    std::int64_t features = 1;
    for (auto d : o.normalized_shape())
        features *= d;
    const auto b = a.size(0);
    return {(g * normalised).reshape({b, -1, features}).sum(1).reshape(shape),
            g.reshape({b, -1, features}).sum(1).reshape(shape)};
}

} // namespace

Result<PerSampleGradients> PerSampleGradients::create(model::Net &net)
{
    std::map<std::string, std::shared_ptr<torch::nn::Module>> modules;
    for (const auto &item : net->named_children())
        modules[item.key()] = item.value();
    PerSampleGradients out;
    std::string previous;
    for (const auto &stage : net->stageNames()) {
        const auto &module = modules.at(stage);
        if (auto bn = batchNormIn(module))
            return std::unexpected(
                Error{ErrorCode::InvalidArgument,
                      "layer \"" + (bn->empty() ? stage : stage + "." + *bn)
                          + "\" is batch norm, which mixes the examples of a batch: DP-SGD's "
                            "per-example guarantee does not hold with it. Use the zoo's GroupNorm "
                            "variant (model.arch \"cnn-gn\" for \"cnn\") or \"cnn-gn-tanh\"",
                      "model.arch"});
        const std::string input = previous;
        previous = stage;
        if (!trainable(module))
            continue;
        const auto kind = kindOf(*module);
        if (!kind)
            return std::unexpected(unsupported(stage, "has no per-example gradients"));
        Layer layer{stage, input, *kind, module};
        for (const auto &item : module->named_parameters(false)) {
            if (!item.value().requires_grad())
                continue;
            (item.key() == "weight" ? layer.weight : layer.bias) = true;
            out.m_parameters.push_back(item.value());
        }
        out.m_layers.push_back(std::move(layer));
    }
    if (out.m_parameters.empty())
        return fail(ErrorCode::InvalidArgument, "the model has no trainable parameters",
                    "privacy.enabled");
    return out;
}

Result<std::vector<torch::Tensor>>
PerSampleGradients::compute(model::Net &net, const torch::Tensor &x, const torch::Tensor &y,
                            double smoothing, torch::Tensor &logits, double &lossSum) const
{
    model::Taps taps;
    taps.keepGraph = true;
    for (const auto &layer : m_layers) {
        taps.wanted.push_back(layer.stage);
        if (!layer.input.empty())
            taps.wanted.push_back(layer.input);
    }
    const auto out = net->forward(x, &taps);
    const bool reduced = out.scalar_type() == torch::kHalf || out.scalar_type() == torch::kBFloat16;
    const auto losses = F::cross_entropy(
        reduced ? out.to(torch::kFloat) : out, y,
        F::CrossEntropyFuncOptions().reduction(torch::kNone).label_smoothing(smoothing));
    const auto total = losses.sum();
    std::vector<torch::Tensor> outputs;
    for (const auto &layer : m_layers)
        outputs.push_back(taps.outputs.at(layer.stage));
    const auto grads = torch::autograd::grad({total}, outputs);
    std::vector<torch::Tensor> perSample;
    m_buffers.resize(m_layers.size());
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        const auto &layer = m_layers[i];
        const auto a = layer.input.empty() ? x : taps.outputs.at(layer.input).detach();
        const auto &g = grads[i];
        std::pair<torch::Tensor, torch::Tensor> wb;
        switch (layer.kind) {
        case Kind::Linear: wb = linearGrads(a, g, m_buffers[i]); break;
        case Kind::Conv2d:
            wb = convGrads(*std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(layer.module), a, g);
            break;
        case Kind::GroupNorm:
            wb = groupNormGrads(*std::dynamic_pointer_cast<torch::nn::GroupNormImpl>(layer.module),
                                a, g);
            break;
        case Kind::LayerNorm:
            wb = layerNormGrads(*std::dynamic_pointer_cast<torch::nn::LayerNormImpl>(layer.module),
                                a, g);
            break;
        }
        if (layer.weight)
            perSample.push_back(wb.first);
        if (layer.bias)
            perSample.push_back(wb.second);
    }
    logits = out.detach();
    lossSum = total.item<double>();
    return perSample;
}

} // namespace lathe::privacy
