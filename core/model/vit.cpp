#include "core/model/vit.h"

#include <cmath>
#include <utility>

namespace lathe::model {

namespace {

// ViT's usual initialisation (weights ~ N(0, 0.02), biases 0): LibTorch's default
// Kaiming-uniform trains this small transformer noticeably slower.
void initLinear(torch::nn::Linear &linear)
{
    torch::NoGradGuard noGrad;
    linear->weight.normal_(0.0, 0.02);
    linear->bias.zero_();
}

} // namespace

PatchEmbedImpl::PatchEmbedImpl(std::int64_t channels, std::int64_t height, std::int64_t width,
                               std::int64_t dim, std::int64_t patch)
{
    using namespace torch::nn;
    m_proj = register_module("proj", Conv2d(Conv2dOptions(channels, dim, patch).stride(patch)));
    const std::int64_t tokens = 1 + (height / patch) * (width / patch);
    m_classToken = register_parameter("class_token", torch::randn({1, 1, dim}) * 0.02);
    m_position = register_parameter("position", torch::randn({1, tokens, dim}) * 0.02);
}

torch::Tensor PatchEmbedImpl::forward(torch::Tensor x)
{
    auto tokens = m_proj(x).flatten(2).transpose(1, 2); // [B, patches, dim], row-major
    auto cls = m_classToken.expand({tokens.size(0), 1, tokens.size(2)});
    return torch::cat({cls, tokens}, 1) + m_position;
}

TransformerBlockImpl::TransformerBlockImpl(std::int64_t dim, std::int64_t heads, double dropout)
    : m_heads(heads)
{
    using namespace torch::nn;
    m_norm1 = register_module("norm1", LayerNorm(LayerNormOptions({dim})));
    m_qkv = register_module("qkv", Linear(dim, 3 * dim));
    m_proj = register_module("proj", Linear(dim, dim));
    m_norm2 = register_module("norm2", LayerNorm(LayerNormOptions({dim})));
    m_fc1 = register_module("fc1", Linear(dim, 2 * dim));
    m_fc2 = register_module("fc2", Linear(2 * dim, dim));
    m_dropout = register_module("dropout", Dropout(dropout));
    for (auto *linear : {&m_qkv, &m_proj, &m_fc1, &m_fc2})
        initLinear(*linear);
}

torch::Tensor TransformerBlockImpl::attend(const torch::Tensor &x)
{
    const auto b = x.size(0), t = x.size(1), dim = x.size(2);
    const auto headDim = dim / m_heads;
    // [B,T,3*dim] -> [3, B, heads, T, headDim]
    auto qkv = m_qkv(x).view({b, t, 3, m_heads, headDim}).permute({2, 0, 3, 1, 4});
    auto scores = torch::matmul(qkv[0], qkv[1].transpose(-2, -1))
                  / std::sqrt(static_cast<double>(headDim));
    auto weights = torch::softmax(scores, -1);
    if (m_record)
        m_attention = m_keepGraph ? weights : weights.detach();
    auto out = torch::matmul(weights, qkv[2]).transpose(1, 2).reshape({b, t, dim});
    return m_proj(out);
}

torch::Tensor TransformerBlockImpl::forward(torch::Tensor x)
{
    x = x + m_dropout(attend(m_norm1(x)));
    auto hidden = m_dropout(torch::gelu(m_fc1(m_norm2(x))));
    return x + m_dropout(m_fc2(hidden));
}

void TransformerBlockImpl::setRecordAttention(bool record, bool keepGraph)
{
    m_record = record;
    m_keepGraph = keepGraph;
}

torch::Tensor TransformerBlockImpl::takeAttention()
{
    return std::exchange(m_attention, torch::Tensor());
}

torch::Tensor ClassTokenImpl::forward(torch::Tensor x)
{
    return x.select(1, 0);
}

} // namespace lathe::model
