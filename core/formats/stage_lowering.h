// Internal to core/export: turns torch::nn modules (and Lathe's own blocks) into StageGraph ops.
#pragma once

#include "core/formats/graph_builder.h"
#include "core/util/error.h"

#include <torch/nn/module.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace torch::nn {
class Conv2dImpl;
class BatchNorm2dImpl;
class LinearImpl;
class LayerNormImpl;
} // namespace torch::nn

namespace lathe::model {
class ResidualBlockImpl;
class PatchEmbedImpl;
class TransformerBlockImpl;
} // namespace lathe::model

namespace lathe::formats {

/// Lowers modules into a GraphBuilder. Errors name the module's path ("stage1.shortcut.0") and
/// its type, and say that `format` has no mapping for it. Not thread-safe.
class Lowerer
{
public:
    using Module = std::shared_ptr<torch::nn::Module>;
    using Item = std::pair<std::string, Module>;
    /// Called after each item of a sequence with its path and output value.
    using ItemDone = std::function<Result<void>(const std::string &path, const std::string &)>;

    Lowerer(GraphBuilder &builder, std::string format);

    /// Lowers `items` in order starting from value `x`; a Conv2d directly followed by a
    /// BatchNorm2d becomes one convolution (then `done` is called for the batch norm only).
    /// Returns the last output value.
    Result<std::string> sequence(const std::string &prefix, const std::vector<Item> &items,
                                 std::string x, const ItemDone &done = {});
    /// Lowers one module applied to value `x`; returns its output value.
    Result<std::string> module(const std::string &path, const Module &m, const std::string &x);

private:
    Result<std::string> leaf(const std::string &path, const Module &m, const std::string &x);
    Result<std::string> pooling(const std::string &path, const Module &m, const std::string &x);
    std::string linear(const std::string &path, torch::nn::LinearImpl &m, const std::string &x);
    /// A batch norm in eval mode as y = x * scale + shift per channel (float64 [C]).
    struct Affine
    {
        torch::Tensor scale, shift;
    };
    Result<Affine> bnAffine(const std::string &path, torch::nn::BatchNorm2dImpl &bn) const;
    /// The convolution, followed by `bn` folded into its weights when given.
    Result<std::string> conv(const std::string &path, torch::nn::Conv2dImpl &m, const Affine *bn,
                             const std::string &x);
    Result<std::string> convBn(const std::string &convPath, const Module &conv,
                               const std::string &bnPath, const Module &bn, const std::string &x);
    Result<std::string> batchNorm(const std::string &path, torch::nn::BatchNorm2dImpl &m,
                                  const std::string &x);
    Result<std::string> flatten(const std::string &path, const Module &m, const std::string &x);
    Result<std::string> layerNorm(const std::string &path, torch::nn::LayerNormImpl &m,
                                  const std::string &x);
    Result<std::string> residual(const std::string &path, model::ResidualBlockImpl &m,
                                 const std::string &x);
    Result<std::string> patchEmbed(const std::string &path, model::PatchEmbedImpl &m,
                                   const std::string &x);
    Result<std::string> transformer(const std::string &path, model::TransformerBlockImpl &m,
                                    const std::string &x);
    std::string attention(const std::string &path, model::TransformerBlockImpl &m,
                          const std::string &x);

    Error noMapping(const std::string &path, const torch::nn::Module &m) const;
    Error unsupported(const std::string &path, const torch::nn::Module &m,
                      const std::string &what) const;

    GraphBuilder &m_builder;
    std::string m_format;
};

/// The module's class name without namespaces ("Conv2dImpl").
std::string moduleTypeName(const torch::nn::Module &m);

} // namespace lathe::formats
