// vit-tiny's building blocks: patch embedding, pre-norm transformer blocks whose attention can
// be recorded per head, and the class-token head. Each is one stage of a Net.
#pragma once

#include "core/model/net.h"

#include <torch/torch.h>

#include <cstdint>

namespace lathe::model {

/// The shape of a vision transformer: token width, number of blocks, heads per block, square
/// patch side. ModelSpec::widths gives them in this order for "vit-tiny".
struct VitShape
{
    std::int64_t dim = 64;
    std::int64_t depth = 4;
    std::int64_t heads = 4;
    std::int64_t patch = 7;
};

/// [B,C,H,W] -> [B, 1 + (H/p)(W/p), dim]: a p x p stride-p convolution turns each patch into
/// a token (row-major), a learned class token is prepended and a learned position embedding
/// added. H and W must be multiples of p (buildNet checks it).
class PatchEmbedImpl : public torch::nn::Module
{
public:
    PatchEmbedImpl(std::int64_t channels, std::int64_t height, std::int64_t width,
                   std::int64_t dim, std::int64_t patch);
    torch::Tensor forward(torch::Tensor x);

private:
    torch::nn::Conv2d m_proj{nullptr};
    torch::Tensor m_classToken, m_position;
};
TORCH_MODULE(PatchEmbed);

/// One pre-norm transformer block on [B,T,dim] tokens:
/// x + Dropout(Attention(LN1(x))), then x + MLP(LN2(x)) with MLP = Linear(dim, 2 dim), GELU,
/// dropout, Linear(2 dim, dim), dropout. Attention is multi-head scaled dot-product attention
/// with a fused q/k/v projection ("qkv", output rows ordered q, k, v, each split into heads) and an
/// output projection ("proj"). When recording (AttentionRecorder) it keeps the softmax weights
/// of the last forward, [B, heads, T, T].
class TransformerBlockImpl : public torch::nn::Module, public AttentionRecorder
{
public:
    TransformerBlockImpl(std::int64_t dim, std::int64_t heads, double dropout);
    torch::Tensor forward(torch::Tensor x);
    /// Attention heads (the exporters need it; the weights do not say).
    std::int64_t heads() const { return m_heads; }

    void setRecordAttention(bool record, bool keepGraph) override;
    torch::Tensor takeAttention() override;

private:
    torch::Tensor attend(const torch::Tensor &x);

    std::int64_t m_heads;
    torch::nn::LayerNorm m_norm1{nullptr}, m_norm2{nullptr};
    torch::nn::Linear m_qkv{nullptr}, m_proj{nullptr}, m_fc1{nullptr}, m_fc2{nullptr};
    torch::nn::Dropout m_dropout{nullptr};
    bool m_record = false, m_keepGraph = false;
    torch::Tensor m_attention;
};
TORCH_MODULE(TransformerBlock);

/// [B,T,dim] -> [B,dim]: the class token (token 0).
class ClassTokenImpl : public torch::nn::Module
{
public:
    torch::Tensor forward(torch::Tensor x);
};
TORCH_MODULE(ClassToken);

} // namespace lathe::model
