#include "core/data/normalization.h"

#include <torch/torch.h>

#include <cmath>

namespace lathe::data {

namespace {

constexpr std::int64_t kMomentChunk = 4096;
constexpr double kMinStd = 1e-12;

torch::Tensor channelView(const std::vector<double> &values, const torch::Tensor &like)
{
    const auto channels = std::int64_t(values.size());
    torch::Tensor t = torch::tensor(values, torch::kDouble).to(like.scalar_type());
    return like.dim() == 3 ? t.view({channels, 1, 1}) : t.view({1, channels, 1, 1});
}

/// Running per-channel count, mean and sum of squared deviations (M2).
struct Moments
{
    double count = 0.0;
    torch::Tensor mean; // double [C]
    torch::Tensor m2;   // double [C]

    void add(const torch::Tensor &batch)
    {
        const torch::Tensor x = batch.to(torch::kDouble);
        const double n = double(x.numel() / x.size(1));
        const torch::Tensor chunkMean = x.mean({0, 2, 3});
        const torch::Tensor chunkM2 = (x - chunkMean.view({1, -1, 1, 1})).square().sum({0, 2, 3});
        if (count == 0.0) {
            count = n;
            mean = chunkMean;
            m2 = chunkM2;
            return;
        }
        // Chan et al.: combine two partial (count, mean, M2) without losing precision.
        const torch::Tensor delta = chunkMean - mean;
        const double total = count + n;
        mean = mean + delta * (n / total);
        m2 = m2 + chunkM2 + delta.square() * (count * n / total);
        count = total;
    }
};

std::vector<double> toVector(const torch::Tensor &t)
{
    const torch::Tensor c = t.contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

} // namespace

torch::Tensor Normalization::apply(const torch::Tensor &x) const
{
    if (mean.empty() && std.empty())
        return x;
    return (x - channelView(mean, x)) / channelView(std, x);
}

Normalization measureNormalization(const Dataset &dataset, const torch::Tensor &indices)
{
    const std::int64_t channels = dataset.sampleShape().at(0);
    const torch::Tensor flat = indices.to(torch::kLong).view(-1);
    Moments moments;
    for (std::int64_t start = 0; start < flat.numel(); start += kMomentChunk) {
        const std::int64_t length = std::min(kMomentChunk, flat.numel() - start);
        moments.add(dataset.images(flat.narrow(0, start, length)));
    }
    if (moments.count == 0.0)
        return {std::vector<double>(std::size_t(channels), 0.0),
                std::vector<double>(std::size_t(channels), 1.0)};
    Normalization result{toVector(moments.mean), toVector((moments.m2 / moments.count).sqrt())};
    for (double &s : result.std) {
        if (!(s > kMinStd))
            s = 1.0;
    }
    return result;
}

} // namespace lathe::data
