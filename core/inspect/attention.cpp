#include "core/inspect/attention.h"

#include <cmath>
#include <string>
#include <tuple>
#include <utility>

namespace lathe::inspect {

namespace {

// The class token's row (token 0) over the patches, as [gridHeight, gridWidth].
torch::Tensor classRow(const torch::Tensor &tt, std::int64_t gridHeight, std::int64_t gridWidth)
{
    return tt.select(0, 0).slice(0, 1).reshape({gridHeight, gridWidth});
}

// (0.5 I + 0.5 mean_heads A) multiplied over the layers, first layer rightmost: token i's
// attention flows through layer 1, then layer 2, ... Rows are renormalised after each product.
torch::Tensor computeRollout(const std::vector<torch::Tensor> &layers)
{
    const auto t = layers.front().size(-1);
    const auto eye = torch::eye(t, layers.front().options());
    torch::Tensor result = eye;
    for (const auto &layer : layers) {
        auto mixed = 0.5 * eye + 0.5 * layer.mean(0);
        mixed = mixed / mixed.sum(-1, true);
        result = torch::matmul(mixed, result);
        result = result / result.sum(-1, true);
    }
    return result;
}

// The patch grid of a square-patch transformer: `patches` tokens over an h x w input.
Result<std::pair<std::int64_t, std::int64_t>> patchGrid(std::int64_t patches, std::int64_t h,
                                                         std::int64_t w)
{
    if (patches > 0) {
        const auto side = std::llround(std::sqrt(static_cast<double>(h * w) / patches));
        if (side > 0 && h % side == 0 && w % side == 0 && (h / side) * (w / side) == patches)
            return std::pair{h / side, w / side};
    }
    return fail(ErrorCode::InvalidArgument,
                std::to_string(patches) + " patch tokens do not tile a " + std::to_string(h)
                    + "x" + std::to_string(w) + " input with square patches",
                "attention");
}

} // namespace

torch::Tensor AttentionMaps::classMap(std::size_t layer, std::int64_t head) const
{
    const auto &weights = layers.at(layer);
    const auto tt = head < 0 ? weights.mean(0) : weights[head];
    return classRow(tt, gridHeight, gridWidth);
}

torch::Tensor AttentionMaps::rolloutMap() const
{
    return classRow(rollout, gridHeight, gridWidth);
}

Result<AttentionMaps> attentionMaps(model::Net &net, const torch::Tensor &input)
{
    if (input.dim() != 4 || input.size(0) != 1)
        return fail(ErrorCode::InvalidArgument,
                    "expected one prepared image [1,C,H,W], got " + std::to_string(input.dim())
                        + " dimensions",
                    "attention");
    const auto stages = net->attentionStageNames();
    if (stages.empty())
        return fail(ErrorCode::InvalidArgument,
                    "architecture \"" + net->arch()
                        + "\" has no attention layers; attention maps need a transformer "
                          "such as vit-tiny",
                    "attention");
    const bool wasTraining = net->is_training();
    try {
        torch::NoGradGuard noGrad;
        net->eval();
        model::Taps taps;
        taps.recordAttention = true;
        net->forward(input, &taps);
        if (wasTraining)
            net->train();
        AttentionMaps maps;
        for (const auto &stage : stages)
            maps.layers.push_back(taps.attention.at(stage)[0].to(torch::kFloat32));
        maps.rollout = computeRollout(maps.layers);
        const auto grid = patchGrid(maps.layers.front().size(-1) - 1, input.size(2),
                                    input.size(3));
        if (!grid)
            return std::unexpected(grid.error());
        std::tie(maps.gridHeight, maps.gridWidth) = *grid;
        return maps;
    } catch (const std::exception &e) {
        if (wasTraining)
            net->train();
        return fail(ErrorCode::InvalidArgument, e.what(), "attention: " + net->arch());
    }
}

} // namespace lathe::inspect
