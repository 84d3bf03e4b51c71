#include "core/data/split.h"

#include "core/data/rng.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace lathe::data {

namespace {

torch::Tensor toTensor(std::vector<std::int64_t> values)
{
    std::sort(values.begin(), values.end());
    return torch::tensor(values, torch::kLong);
}

std::map<std::int64_t, std::vector<std::int64_t>> positionsByClass(const torch::Tensor &labels)
{
    const torch::Tensor flat = labels.cpu().to(torch::kLong).contiguous().view(-1);
    const auto *values = flat.data_ptr<std::int64_t>();
    std::map<std::int64_t, std::vector<std::int64_t>> byClass;
    for (std::int64_t i = 0; i < flat.numel(); ++i)
        byClass[values[i]].push_back(i);
    return byClass;
}

} // namespace

SplitIndices stratifiedSplit(const torch::Tensor &labels, double valFraction, std::uint64_t seed)
{
    const double fraction = std::isnan(valFraction) ? 0.0 : std::clamp(valFraction, 0.0, 1.0);
    std::vector<std::int64_t> train;
    std::vector<std::int64_t> val;
    try {
        if (labels.defined()) {
            for (auto &[label, positions] : positionsByClass(labels)) {
                // Seeding per class keeps one class's split independent of the others.
                SplitMix64 rng(mixSeed({seed, std::uint64_t(label)}));
                shuffleInPlace(positions, rng);
                const auto valCount
                    = std::size_t(std::llround(double(positions.size()) * fraction));
                val.insert(val.end(), positions.begin(), positions.begin() + valCount);
                train.insert(train.end(), positions.begin() + valCount, positions.end());
            }
        }
        return {toTensor(std::move(train)), toTensor(std::move(val))};
    } catch (const std::exception &) {
        // Only allocation can fail here; an empty split is the safe answer.
        return {torch::empty({0}, torch::kLong), torch::empty({0}, torch::kLong)};
    }
}

} // namespace lathe::data
