#include "core/formats/weight_compression.h"

#include "core/util/torch_error.h"
#include "kernels/quantize_int8/quantize_int8.h"

#include <cmath>
#include <map>
#include <set>

namespace lathe::formats {

namespace {

NamedTensors weightsOf(const NamedTensors &tensors)
{
    NamedTensors weights;
    for (const auto &[name, tensor] : tensors)
        if (isCompressibleWeight(name, tensor))
            weights.emplace_back(name, tensor);
    return weights;
}

Result<NamedTensors> quantizeChecked(const NamedTensors &tensors)
{
    std::set<std::string> names;
    for (const auto &entry : tensors)
        names.insert(entry.first);
    NamedTensors out;
    for (const auto &[name, tensor] : tensors) {
        if (!isCompressibleWeight(name, tensor)) {
            out.emplace_back(name, tensor);
            continue;
        }
        const std::string scaleName = name + kInt8ScaleSuffix;
        if (names.contains(scaleName))
            return fail(ErrorCode::InvalidArgument,
                        "cannot store the int8 scales of \"" + name + "\": \"" + scaleName
                            + "\" is already a tensor",
                        name);
        auto q = kernels::quantizeInt8(tensor.detach().to(torch::kFloat), 0);
        if (!q)
            return fail(q.error().code, q.error().message, name);
        out.emplace_back(name, q->values);
        out.emplace_back(scaleName, q->scales);
    }
    return out;
}

// The scale that dequantises `name`, when it is an int8 tensor with a float32 scale.
const torch::Tensor *scaleFor(const std::string &name, const torch::Tensor &tensor,
                              const std::map<std::string, torch::Tensor> &byName)
{
    if (tensor.scalar_type() != torch::kChar || tensor.dim() == 0)
        return nullptr;
    auto it = byName.find(name + kInt8ScaleSuffix);
    if (it == byName.end() || it->second.scalar_type() != torch::kFloat)
        return nullptr;
    return &it->second;
}

Result<NamedTensors> dequantizeChecked(const NamedTensors &tensors, const std::string &source)
{
    const std::map<std::string, torch::Tensor> byName(tensors.begin(), tensors.end());
    std::set<std::string> scales;
    for (const auto &[name, tensor] : tensors)
        if (scaleFor(name, tensor, byName))
            scales.insert(name + kInt8ScaleSuffix);
    NamedTensors out;
    for (const auto &[name, tensor] : tensors) {
        if (scales.contains(name))
            continue;
        const auto *scale = scaleFor(name, tensor, byName);
        if (!scale) {
            out.emplace_back(name, tensor);
            continue;
        }
        auto weights = kernels::dequantizeInt8({tensor, scale->to(tensor.device()), 0});
        if (!weights)
            return fail(ErrorCode::BadInput,
                        "int8 tensor \"" + name + "\" " + shapeString(tensor.sizes())
                            + " does not fit its scales " + shapeString(scale->sizes()) + ": "
                            + weights.error().message,
                        source);
        out.emplace_back(name, *weights);
    }
    return out;
}

std::int64_t pruneChecked(model::Net &net, double fraction)
{
    const auto weights = weightsOf(stateDict(net));
    std::vector<torch::Tensor> magnitudes;
    for (const auto &entry : weights)
        magnitudes.push_back(entry.second.detach().abs().flatten().to(torch::kCPU, torch::kDouble));
    if (magnitudes.empty())
        return 0;
    const auto pooled = torch::cat(magnitudes);
    const auto count = static_cast<std::int64_t>(std::floor(fraction * double(pooled.numel())));
    if (count == 0)
        return 0;
    // A stable sort keeps pooled (stateDict, then memory) order among equal magnitudes.
    const auto order = std::get<1>(pooled.sort(/*stable=*/true, 0, /*descending=*/false));
    auto drop = torch::zeros({pooled.numel()}, torch::kBool);
    drop.index_fill_(0, order.slice(0, 0, count), true);
    torch::NoGradGuard noGrad;
    std::int64_t offset = 0;
    for (const auto &[name, weight] : weights) {
        const auto n = weight.numel();
        weight.masked_fill_(
            drop.slice(0, offset, offset + n).view(weight.sizes()).to(weight.device()), 0.0);
        offset += n;
    }
    return count;
}

} // namespace

bool isCompressibleWeight(const std::string &name, const torch::Tensor &tensor)
{
    if (!tensor.defined() || !tensor.is_floating_point() || tensor.dim() < 2)
        return false;
    const auto dot = name.rfind('.');
    const std::string last = dot == std::string::npos ? name : name.substr(dot + 1);
    return last.ends_with("weight");
}

Result<NamedTensors> quantizeWeightsInt8(const NamedTensors &tensors)
{
    try {
        return quantizeChecked(tensors);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, "int8 quantisation failed: " + util::describe(e));
    }
}

Result<NamedTensors> dequantizeWeightsInt8(const NamedTensors &tensors, const std::string &source)
{
    try {
        return dequantizeChecked(tensors, source);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, "int8 dequantisation failed: " + util::describe(e),
                    source);
    }
}

Result<std::int64_t> applyInt8RoundTrip(model::Net &net)
{
    const auto weights = weightsOf(stateDict(net));
    auto quantized = quantizeWeightsInt8(weights);
    if (!quantized)
        return std::unexpected(quantized.error());
    auto restored = dequantizeWeightsInt8(*quantized, "int8 round trip");
    if (!restored)
        return std::unexpected(restored.error());
    LoadOptions partial;
    partial.allowMissing = true;
    if (auto loaded = loadStateDict(net, *restored, "int8 round trip", partial); !loaded)
        return std::unexpected(loaded.error());
    return static_cast<std::int64_t>(weights.size());
}

Result<std::int64_t> prune(model::Net &net, double fraction)
{
    if (!(fraction >= 0.0 && fraction < 1.0))
        return fail(ErrorCode::InvalidArgument,
                    "the pruning fraction must be in [0, 1), got " + std::to_string(fraction),
                    "prune");
    try {
        return pruneChecked(net, fraction);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, "pruning failed: " + util::describe(e), "prune");
    }
}

Sparsity sparsity(const NamedTensors &tensors)
{
    Sparsity s;
    for (const auto &[name, weight] : weightsOf(tensors)) {
        s.weights += weight.numel();
        s.zeros += (weight == 0).sum().item<std::int64_t>();
    }
    return s;
}

std::int64_t float32Bytes(const NamedTensors &tensors)
{
    std::int64_t bytes = 0;
    for (const auto &[name, tensor] : tensors)
        bytes += tensor.is_floating_point() ? tensor.numel() * 4
                                            : static_cast<std::int64_t>(tensor.nbytes());
    return bytes;
}

std::int64_t int8Bytes(const NamedTensors &tensors)
{
    std::int64_t bytes = 0;
    for (const auto &[name, tensor] : tensors) {
        if (isCompressibleWeight(name, tensor))
            bytes += tensor.numel() + 4 * tensor.size(0);
        else
            bytes += tensor.is_floating_point() ? tensor.numel() * 4
                                                : static_cast<std::int64_t>(tensor.nbytes());
    }
    return bytes;
}

} // namespace lathe::formats
