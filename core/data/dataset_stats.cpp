#include "core/data/dataset_stats.h"

#include "core/data/dataset.h"
#include "core/data/image_folder.h"
#include "core/data/sample_hash.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace lathe::data {

std::int64_t DatasetStats::redundantSamples() const
{
    std::int64_t total = 0;
    for (const DuplicateGroup &group : duplicates)
        total += std::int64_t(group.indices.size()) - 1;
    return total;
}

namespace {

constexpr std::int64_t kStatsChunk = 2048;

/// Reads the bytes that identify a sample: the stored uint8 pixels when there are any, else
/// the float32 sample as the dataset returns it.
class SampleBytes
{
public:
    explicit SampleBytes(const Dataset &dataset)
        : m_dataset(dataset)
    {
        const auto *tensors = dynamic_cast<const TensorDataset *>(&dataset);
        if (tensors && tensors->rawImages().scalar_type() == torch::kByte)
            m_raw = tensors->rawImages().contiguous();
    }

    bool hasRaw() const { return m_raw.defined(); }

    /// Bytes of samples [start, start + n) as one contiguous tensor; `floats` is the chunk
    /// already read through images(), used when there are no raw bytes.
    torch::Tensor chunk(std::int64_t start, std::int64_t n, const torch::Tensor &floats) const
    {
        return hasRaw() ? m_raw.narrow(0, start, n) : floats.contiguous();
    }

    torch::Tensor sample(std::int64_t index) const
    {
        if (hasRaw())
            return m_raw[index];
        return m_dataset.images(torch::tensor({index}, torch::kLong)).contiguous();
    }

private:
    const Dataset &m_dataset;
    torch::Tensor m_raw;
};

struct Accumulator
{
    torch::Tensor sum;                                          // double [C]
    torch::Tensor sumSq;                                        // double [C]
    std::vector<std::pair<std::uint64_t, std::int64_t>> hashes; // (hash, index)
};

void accumulateChunk(Accumulator &acc, const torch::Tensor &x, const torch::Tensor &bytes,
                     std::int64_t start)
{
    const torch::Tensor xd = x.to(torch::kDouble);
    acc.sum += xd.sum({0, 2, 3});
    acc.sumSq += xd.square().sum({0, 2, 3});
    const auto *data = static_cast<const std::uint8_t *>(bytes.data_ptr());
    const std::size_t stride = std::size_t(bytes.nbytes() / std::size_t(x.size(0)));
    for (std::int64_t i = 0; i < x.size(0); ++i)
        acc.hashes.emplace_back(hashBytes(data + std::size_t(i) * stride, stride), start + i);
}

/// Splits indices that share a hash into groups of byte-identical samples.
void confirmGroup(const std::vector<std::int64_t> &candidates, const SampleBytes &bytes,
                  const torch::Tensor &labels, std::vector<DuplicateGroup> &out)
{
    std::vector<std::pair<torch::Tensor, DuplicateGroup>> distinct;
    for (std::int64_t index : candidates) {
        const torch::Tensor sample = bytes.sample(index);
        auto match = std::find_if(distinct.begin(), distinct.end(),
                                  [&](const auto &d) { return d.first.equal(sample); });
        if (match == distinct.end())
            distinct.push_back({sample, DuplicateGroup{{index}, 0, false}});
        else
            match->second.indices.push_back(index);
    }
    const auto *label = labels.data_ptr<std::int64_t>();
    for (auto &[sample, group] : distinct) {
        if (group.indices.size() < 2)
            continue;
        group.label = label[group.indices.front()];
        for (std::int64_t index : group.indices)
            group.mixedLabels |= label[index] != group.label;
        out.push_back(std::move(group));
    }
}

std::vector<DuplicateGroup> findDuplicates(Accumulator &acc, const SampleBytes &bytes,
                                           const torch::Tensor &labels)
{
    std::sort(acc.hashes.begin(), acc.hashes.end());
    std::vector<DuplicateGroup> groups;
    for (std::size_t i = 0; i < acc.hashes.size();) {
        std::size_t j = i + 1;
        while (j < acc.hashes.size() && acc.hashes[j].first == acc.hashes[i].first)
            ++j;
        if (j - i >= 2) {
            std::vector<std::int64_t> candidates;
            for (std::size_t k = i; k < j; ++k)
                candidates.push_back(acc.hashes[k].second);
            confirmGroup(candidates, bytes, labels, groups);
        }
        i = j;
    }
    std::sort(groups.begin(), groups.end(),
              [](const auto &a, const auto &b) { return a.indices.front() < b.indices.front(); });
    return groups;
}

void countClasses(DatasetStats &stats, const torch::Tensor &labels)
{
    stats.classCounts.assign(stats.classNames.size(), 0);
    const auto *label = labels.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < labels.size(0); ++i) {
        if (label[i] >= 0 && std::size_t(label[i]) < stats.classCounts.size())
            ++stats.classCounts[std::size_t(label[i])];
    }
}

void finishMoments(DatasetStats &stats, const Accumulator &acc)
{
    const std::int64_t c = stats.sampleShape.at(0);
    const double perChannel
        = double(stats.count) * double(stats.sampleShape[1] * stats.sampleShape[2]);
    for (std::int64_t ch = 0; ch < c; ++ch) {
        const double mean = perChannel > 0 ? acc.sum[ch].item<double>() / perChannel : 0.0;
        const double meanSq = perChannel > 0 ? acc.sumSq[ch].item<double>() / perChannel : 0.0;
        stats.mean.push_back(mean);
        stats.std.push_back(std::sqrt(std::max(0.0, meanSq - mean * mean)));
    }
}

Result<DatasetStats> compute(const Dataset &dataset, std::stop_token stop,
                             const StatsProgress &progress)
{
    DatasetStats stats;
    stats.count = dataset.size();
    stats.sampleShape = dataset.sampleShape();
    stats.classNames = dataset.classNames();
    if (stats.sampleShape.size() != 3)
        return fail(ErrorCode::BadInput, "the dataset's samples are not {C,H,W} images",
                    dataset.description());
    const torch::Tensor labels = dataset.labels().to(torch::kLong).contiguous();
    countClasses(stats, labels);
    const SampleBytes bytes(dataset);
    Accumulator acc{torch::zeros({stats.sampleShape[0]}, torch::kDouble),
                    torch::zeros({stats.sampleShape[0]}, torch::kDouble),
                    {}};
    acc.hashes.reserve(std::size_t(stats.count));
    for (std::int64_t start = 0; start < stats.count; start += kStatsChunk) {
        if (stop.stop_requested())
            return fail(ErrorCode::Cancelled, "statistics were cancelled", dataset.description());
        const std::int64_t n = std::min(kStatsChunk, stats.count - start);
        const torch::Tensor x = dataset.images(torch::arange(start, start + n, torch::kLong));
        accumulateChunk(acc, x, bytes.chunk(start, n, x), start);
        if (progress)
            progress(start + n, stats.count);
    }
    finishMoments(stats, acc);
    stats.duplicates = findDuplicates(acc, bytes, labels);
    if (const auto *folder = dynamic_cast<const ImageFolderDataset *>(&dataset))
        stats.unreadable = folder->unreadable();
    return stats;
}

} // namespace

Result<DatasetStats> computeDatasetStats(const Dataset &dataset, std::stop_token stop,
                                         const StatsProgress &progress)
{
    try {
        return compute(dataset, std::move(stop), progress);
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, fmt::format("cannot read the dataset: {}", e.what()),
                    dataset.description());
    }
}

} // namespace lathe::data
