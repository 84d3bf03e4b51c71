#include "core/formats/stage_lowering.h"

#include "core/formats/script_lowering.h"
#include "core/formats/torchscript_import.h"
#include "core/model/net.h"
#include "core/model/vit.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace lathe::formats {

namespace {

using namespace torch::nn;
using Module = Lowerer::Module;

template<typename T>
std::shared_ptr<T> as(const Module &m)
{
    return std::dynamic_pointer_cast<T>(m);
}

std::string join(const std::string &prefix, const std::string &name)
{
    return prefix.empty() ? name : prefix + "." + name;
}

std::vector<Lowerer::Item> childrenOf(const torch::nn::Module &m)
{
    std::vector<Lowerer::Item> items;
    for (const auto &item : m.named_children())
        items.emplace_back(item.key(), item.value());
    return items;
}

// Lathe's blocks register their children by fixed names; a missing one is a bug in this file.
template<typename T>
std::shared_ptr<T> childAs(const torch::nn::Module &m, const std::string &name)
{
    const auto children = m.named_children();
    const auto *found = children.find(name);
    auto typed = found ? std::dynamic_pointer_cast<T>(*found) : nullptr;
    if (!typed)
        throw std::logic_error(moduleTypeName(m) + " has no child \"" + name
                               + "\" of the "
                                 "expected type");
    return typed;
}

torch::Tensor parameterOf(const torch::nn::Module &m, const std::string &name)
{
    const auto params = m.named_parameters(/*recurse=*/false);
    const auto *found = params.find(name);
    if (!found)
        throw std::logic_error(moduleTypeName(m) + " has no parameter \"" + name + "\"");
    return *found;
}

std::int64_t at(const torch::ExpandingArray<2> &values, std::size_t i)
{
    return (*values)[i];
}

} // namespace

std::string moduleTypeName(const torch::nn::Module &m)
{
    const std::string name = m.name();
    const auto colon = name.rfind("::");
    return colon == std::string::npos ? name : name.substr(colon + 2);
}

Lowerer::Lowerer(GraphBuilder &builder, std::string format)
    : m_builder(builder)
    , m_format(std::move(format))
{
}

Result<std::string> Lowerer::sequence(const std::string &prefix, const std::vector<Item> &items,
                                      std::string x, const ItemDone &done)
{
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto path = join(prefix, items[i].first);
        const bool fold = i + 1 < items.size() && as<Conv2dImpl>(items[i].second)
                          && as<BatchNorm2dImpl>(items[i + 1].second);
        auto out = fold ? convBn(path, items[i].second, join(prefix, items[i + 1].first),
                                 items[i + 1].second, x)
                        : module(path, items[i].second, x);
        if (!out)
            return out;
        x = *out;
        if (fold)
            ++i;
        if (done) {
            if (auto checked = done(join(prefix, items[i].first), x); !checked)
                return std::unexpected(checked.error());
        }
    }
    return x;
}

Result<std::string> Lowerer::module(const std::string &path, const Module &m, const std::string &x)
{
    if (auto seq = as<SequentialImpl>(m))
        return sequence(path, childrenOf(*seq), x);
    if (auto block = as<model::ResidualBlockImpl>(m))
        return residual(path, *block, x);
    if (auto embed = as<model::PatchEmbedImpl>(m))
        return patchEmbed(path, *embed, x);
    if (auto block = as<model::TransformerBlockImpl>(m))
        return transformer(path, *block, x);
    if (auto script = as<ScriptStageImpl>(m))
        return lowerScriptModule(m_builder, script->exportModule(), x, path, m_format);
    return leaf(path, m, x);
}

Result<std::string> Lowerer::leaf(const std::string &path, const Module &m, const std::string &x)
{
    if (auto linearModule = as<LinearImpl>(m))
        return linear(path, *linearModule, x);
    if (auto convModule = as<Conv2dImpl>(m))
        return conv(path, *convModule, nullptr, x);
    if (auto bn = as<BatchNorm2dImpl>(m))
        return batchNorm(path, *bn, x);
    if (as<ReLUImpl>(m))
        return m_builder.emit(OpKind::Relu, path, {x});
    if (auto gelu = as<GELUImpl>(m)) {
        if (gelu->options.approximate() != "none")
            return std::unexpected(unsupported(path, *m, "the tanh approximation of GELU"));
        return m_builder.emit(OpKind::Gelu, path, {x});
    }
    // Identities in eval mode.
    if (as<DropoutImpl>(m) || as<Dropout2dImpl>(m) || as<AlphaDropoutImpl>(m)
        || as<IdentityImpl>(m))
        return x;
    if (auto norm = as<LayerNormImpl>(m))
        return layerNorm(path, *norm, x);
    if (as<FlattenImpl>(m))
        return flatten(path, m, x);
    if (as<model::ClassTokenImpl>(m))
        return m_builder.emit(OpKind::Select, path, {x}, {1, 0});
    return pooling(path, m, x);
}

Result<std::string> Lowerer::pooling(const std::string &path, const Module &m, const std::string &x)
{
    if (auto pool = as<MaxPool2dImpl>(m)) {
        const auto &o = pool->options;
        if (o.ceil_mode())
            return std::unexpected(unsupported(path, *m, "ceil-mode pooling"));
        if (at(o.dilation(), 0) != 1 || at(o.dilation(), 1) != 1)
            return std::unexpected(unsupported(path, *m, "dilated pooling"));
        return m_builder.emit(OpKind::MaxPool2d, path, {x},
                              {at(o.kernel_size(), 0), at(o.kernel_size(), 1), at(o.stride(), 0),
                               at(o.stride(), 1), at(o.padding(), 0), at(o.padding(), 1)});
    }
    if (auto pool = as<AvgPool2dImpl>(m)) {
        const auto &o = pool->options;
        if (o.ceil_mode() || o.divisor_override())
            return std::unexpected(unsupported(path, *m, "ceil mode or a divisor override"));
        return m_builder.emit(OpKind::AvgPool2d, path, {x},
                              {at(o.kernel_size(), 0), at(o.kernel_size(), 1), at(o.stride(), 0),
                               at(o.stride(), 1), at(o.padding(), 0), at(o.padding(), 1),
                               o.count_include_pad() ? 1 : 0});
    }
    if (auto pool = as<AdaptiveAvgPool2dImpl>(m)) {
        const auto in = m_builder.probe(x).sizes();
        const auto &size = *pool->options.output_size();
        const std::int64_t h = size[0].value_or(in[2]), w = size[1].value_or(in[3]);
        if (h == 1 && w == 1)
            return m_builder.emit(OpKind::GlobalAvgPool, path, {x});
        if (in[2] % h != 0 || in[3] % w != 0)
            return std::unexpected(
                unsupported(path, *m,
                            "adaptive pooling to uneven windows (" + std::to_string(in[2]) + "x"
                                + std::to_string(in[3]) + " to " + std::to_string(h) + "x"
                                + std::to_string(w) + ")"));
        const auto kh = in[2] / h, kw = in[3] / w;
        return m_builder.emit(OpKind::AvgPool2d, path, {x}, {kh, kw, kh, kw, 0, 0, 1});
    }
    return std::unexpected(noMapping(path, *m));
}

std::string Lowerer::linear(const std::string &path, LinearImpl &m, const std::string &x)
{
    std::vector<std::string> inputs{x, m_builder.constant(path + ".weight", m.weight)};
    if (m.bias.defined())
        inputs.push_back(m_builder.constant(path + ".bias", m.bias));
    return m_builder.emit(OpKind::Linear, path, std::move(inputs));
}

Result<Lowerer::Affine> Lowerer::bnAffine(const std::string &path, BatchNorm2dImpl &bn) const
{
    if (!bn.options.track_running_stats() || !bn.running_mean.defined())
        return std::unexpected(
            unsupported(path, bn, "batch statistics in eval mode (track_running_stats off)"));
    // In float64, so that folding adds no rounding of its own.
    auto scale = 1.0 / (bn.running_var.to(torch::kDouble) + bn.options.eps()).sqrt();
    if (bn.options.affine())
        scale = scale * bn.weight.detach().to(torch::kDouble);
    auto shift = -bn.running_mean.to(torch::kDouble) * scale;
    if (bn.options.affine())
        shift = shift + bn.bias.detach().to(torch::kDouble);
    return Affine{scale, shift};
}

Result<std::string> Lowerer::conv(const std::string &path, Conv2dImpl &m, const Affine *bn,
                                  const std::string &x)
{
    const auto &o = m.options;
    if (!c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()))
        return std::unexpected(unsupported(path, m, "a padding mode other than zeros"));
    std::array<std::int64_t, 2> pad{0, 0};
    if (const auto *explicitPad = c10::get_if<torch::ExpandingArray<2>>(&o.padding()))
        pad = **explicitPad;
    else if (!c10::holds_alternative<torch::enumtype::kValid>(o.padding()))
        return std::unexpected(unsupported(path, m, "padding \"same\""));
    auto weight = m.weight.detach();
    auto bias = m.bias.defined() ? m.bias.detach() : torch::Tensor();
    if (bn) {
        weight = weight.to(torch::kDouble) * bn->scale.view({-1, 1, 1, 1});
        bias = (bias.defined() ? bias.to(torch::kDouble) * bn->scale : torch::zeros_like(bn->scale))
               + bn->shift;
    }
    std::vector<std::string> inputs{x, m_builder.constant(path + ".weight", weight)};
    if (bias.defined())
        inputs.push_back(m_builder.constant(path + ".bias", bias));
    return m_builder.emit(OpKind::Conv2d, path, std::move(inputs),
                          {at(o.stride(), 0), at(o.stride(), 1), pad[0], pad[1],
                           at(o.dilation(), 0), at(o.dilation(), 1), o.groups()});
}

Result<std::string> Lowerer::convBn(const std::string &convPath, const Module &convModule,
                                    const std::string &bnPath, const Module &bnModule,
                                    const std::string &x)
{
    auto affine = bnAffine(bnPath, *as<BatchNorm2dImpl>(bnModule));
    if (!affine)
        return std::unexpected(affine.error());
    return conv(convPath, *as<Conv2dImpl>(convModule), &*affine, x);
}

Result<std::string> Lowerer::batchNorm(const std::string &path, BatchNorm2dImpl &m,
                                       const std::string &x)
{
    auto affine = bnAffine(path, m);
    if (!affine)
        return std::unexpected(affine.error());
    const auto scale = m_builder.constant(path + ".scale", affine->scale.view({-1, 1, 1}));
    const auto shift = m_builder.constant(path + ".shift", affine->shift.view({-1, 1, 1}));
    return m_builder.emit(OpKind::ChannelAffine, path, {x, scale, shift});
}

Result<std::string> Lowerer::flatten(const std::string &path, const Module &m, const std::string &x)
{
    const auto &o = as<FlattenImpl>(m)->options;
    const auto &probe = m_builder.probe(x);
    const auto rank = probe.dim();
    const auto start = o.start_dim() < 0 ? o.start_dim() + rank : o.start_dim();
    const auto end = o.end_dim() < 0 ? o.end_dim() + rank : o.end_dim();
    if (start <= 0)
        return std::unexpected(unsupported(path, *m, "flattening the batch dim"));
    if (start == 1 && end == rank - 1)
        return m_builder.emit(OpKind::Flatten, path, {x});
    auto shape = probe.flatten(start, end).sizes().vec();
    shape[0] = -1;
    return m_builder.emit(OpKind::Reshape, path, {x}, shape);
}

Result<std::string> Lowerer::layerNorm(const std::string &path, LayerNormImpl &m,
                                       const std::string &x)
{
    const auto &o = m.options;
    if (o.normalized_shape().size() != 1)
        return std::unexpected(unsupported(path, m, "normalising over more than the last dim"));
    const auto dim = o.normalized_shape()[0];
    const auto weight = o.elementwise_affine() ? m.weight : torch::ones({dim});
    const auto bias = o.elementwise_affine() ? m.bias : torch::zeros({dim});
    return m_builder.emit({OpKind::LayerNorm,
                           path,
                           {x, m_builder.constant(path + ".weight", weight),
                            m_builder.constant(path + ".bias", bias)},
                           {},
                           {},
                           o.eps()});
}

Result<std::string> Lowerer::residual(const std::string &path, model::ResidualBlockImpl &m,
                                      const std::string &x)
{
    // ResidualBlockImpl::forward: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
    auto y = convBn(join(path, "conv1"), childAs<Conv2dImpl>(m, "conv1"), join(path, "bn1"),
                    childAs<BatchNorm2dImpl>(m, "bn1"), x);
    if (!y)
        return y;
    y = convBn(join(path, "conv2"), childAs<Conv2dImpl>(m, "conv2"), join(path, "bn2"),
               childAs<BatchNorm2dImpl>(m, "bn2"),
               m_builder.emit(OpKind::Relu, join(path, "relu1"), {*y}));
    if (!y)
        return y;
    auto shortcut = Result<std::string>(x);
    const auto children = m.named_children();
    if (const auto *projection = children.find("shortcut"))
        shortcut = module(join(path, "shortcut"), *projection, x);
    if (!shortcut)
        return shortcut;
    const auto sum = m_builder.emit(OpKind::Add, join(path, "add"), {*y, *shortcut});
    return m_builder.emit(OpKind::Relu, join(path, "relu2"), {sum});
}

Result<std::string> Lowerer::patchEmbed(const std::string &path, model::PatchEmbedImpl &m,
                                        const std::string &x)
{
    // PatchEmbedImpl::forward: cat(class token, proj(x).flatten(2).transpose(1, 2)) + position.
    auto tokens = conv(join(path, "proj"), *childAs<Conv2dImpl>(m, "proj"), nullptr, x);
    if (!tokens)
        return tokens;
    const auto sizes = m_builder.probe(*tokens).sizes();
    auto flat = m_builder.emit(OpKind::Reshape, join(path, "flatten"), {*tokens},
                               {-1, sizes[1], sizes[2] * sizes[3]});
    flat = m_builder.emit(OpKind::Transpose, join(path, "transpose"), {flat}, {0, 2, 1});
    const auto token = m_builder.constant(join(path, "class_token"), parameterOf(m, "class_token"));
    flat = m_builder.emit(OpKind::PrependToken, join(path, "prepend"), {flat, token});
    const auto position = m_builder.constant(join(path, "position"), parameterOf(m, "position"));
    return m_builder.emit(OpKind::Add, join(path, "add_position"), {flat, position});
}

Result<std::string> Lowerer::transformer(const std::string &path, model::TransformerBlockImpl &m,
                                         const std::string &x)
{
    // TransformerBlockImpl::forward (dropout is the identity in eval mode):
    // x = x + attend(norm1(x)); x + fc2(gelu(fc1(norm2(x)))).
    auto normed = layerNorm(join(path, "norm1"), *childAs<LayerNormImpl>(m, "norm1"), x);
    if (!normed)
        return normed;
    const auto mid
        = m_builder.emit(OpKind::Add, join(path, "add1"), {x, attention(path, m, *normed)});
    normed = layerNorm(join(path, "norm2"), *childAs<LayerNormImpl>(m, "norm2"), mid);
    if (!normed)
        return normed;
    auto hidden = linear(join(path, "fc1"), *childAs<LinearImpl>(m, "fc1"), *normed);
    hidden = m_builder.emit(OpKind::Gelu, join(path, "gelu"), {hidden});
    hidden = linear(join(path, "fc2"), *childAs<LinearImpl>(m, "fc2"), hidden);
    return m_builder.emit(OpKind::Add, join(path, "add2"), {mid, hidden});
}

std::string Lowerer::attention(const std::string &path, model::TransformerBlockImpl &m,
                               const std::string &x)
{
    // TransformerBlockImpl::attend: fused qkv split into heads, softmax(q k^T / sqrt(d)) v,
    // heads merged back, output projection.
    const auto sizes = m_builder.probe(x).sizes();
    const std::int64_t tokens = sizes[1], dim = sizes[2], heads = m.heads();
    const std::int64_t headDim = dim / heads;
    auto emit = [&](OpKind kind, const char *name, std::vector<std::string> inputs,
                    std::vector<std::int64_t> ints = {}) {
        return m_builder.emit(kind, join(path, name), std::move(inputs), std::move(ints));
    };
    auto qkv = linear(join(path, "qkv"), *childAs<LinearImpl>(m, "qkv"), x);
    qkv = emit(OpKind::Reshape, "split_heads", {qkv}, {-1, tokens, 3, heads, headDim});
    qkv = emit(OpKind::Transpose, "heads_first", {qkv}, {2, 0, 3, 1, 4});
    const auto q = emit(OpKind::Select, "q", {qkv}, {0, 0});
    const auto k = emit(OpKind::Select, "k", {qkv}, {0, 1});
    const auto v = emit(OpKind::Select, "v", {qkv}, {0, 2});
    auto scores
        = emit(OpKind::MatMul, "scores", {q, emit(OpKind::Transpose, "k_t", {k}, {0, 1, 3, 2})});
    scores = m_builder.emit({OpKind::DivScalar,
                             join(path, "scale"),
                             {scores},
                             {},
                             {},
                             std::sqrt(static_cast<double>(headDim))});
    const auto weights = emit(OpKind::Softmax, "softmax", {scores}, {-1});
    auto out = emit(OpKind::MatMul, "mix", {weights, v});
    out = emit(OpKind::Transpose, "tokens_first", {out}, {0, 2, 1, 3});
    out = emit(OpKind::Reshape, "merge_heads", {out}, {-1, tokens, dim});
    return linear(join(path, "proj"), *childAs<LinearImpl>(m, "proj"), out);
}

Error Lowerer::noMapping(const std::string &path, const torch::nn::Module &m) const
{
    return {ErrorCode::InvalidArgument,
            "stage \"" + path + "\" (" + moduleTypeName(m) + ") has no " + m_format + " mapping",
            {}};
}

Error Lowerer::unsupported(const std::string &path, const torch::nn::Module &m,
                           const std::string &what) const
{
    return {ErrorCode::InvalidArgument,
            "stage \"" + path + "\" (" + moduleTypeName(m) + ") uses " + what + ", which has no "
                + m_format + " mapping",
            {}};
}

} // namespace lathe::formats
