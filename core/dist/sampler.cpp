#include "core/dist/sampler.h"

#include "core/data/rng.h"

#include <algorithm>
#include <string>

namespace lathe::dist {

namespace {

// data::Loader's tag for the epoch-order stream (core/data/loader.cpp): one rank reproduces the
// loader's order exactly. tst_dist_sampler compares the two, so a change there fails here.
constexpr std::uint64_t kOrderTag = 0x6f72646572ULL; // "order"

} // namespace

std::pair<std::int64_t, std::int64_t> DistributedSampler::part(std::int64_t batchSize,
                                                               int worldSize, int rank)
{
    const std::int64_t base = batchSize / worldSize;
    const std::int64_t extra = batchSize % worldSize;
    const std::int64_t first = base * rank + std::min<std::int64_t>(rank, extra);
    return {first, base + (rank < extra ? 1 : 0)};
}

Result<DistributedSampler> DistributedSampler::create(std::vector<std::int64_t> indices,
                                                      SamplerOptions o)
{
    if (o.worldSize < 1 || o.rank < 0 || o.rank >= o.worldSize)
        return fail(ErrorCode::InvalidArgument,
                    "rank " + std::to_string(o.rank) + " outside a world of "
                        + std::to_string(o.worldSize),
                    "distributed sampler");
    if (o.globalBatchSize < 1 || o.minPerRank < 1)
        return fail(ErrorCode::InvalidArgument, "the batch size must be at least 1",
                    "training.batch_size");
    if (o.globalBatchSize / o.worldSize < o.minPerRank)
        return fail(ErrorCode::InvalidArgument,
                    "a batch of " + std::to_string(o.globalBatchSize) + " samples split over "
                        + std::to_string(o.worldSize) + " workers gives some fewer than "
                        + std::to_string(o.minPerRank)
                        + "; raise the batch size or use fewer workers",
                    "training.batch_size");
    const auto n = std::int64_t(indices.size());
    std::int64_t batches = (n + o.globalBatchSize - 1) / o.globalBatchSize;
    const std::int64_t last = n - (batches - 1) * o.globalBatchSize;
    if (batches > 1 && last / o.worldSize < o.minPerRank)
        --batches;
    return DistributedSampler(std::move(indices), o, batches);
}

DistributedSampler::DistributedSampler(std::vector<std::int64_t> indices, SamplerOptions options,
                                       std::int64_t batches)
    : m_indices(std::move(indices))
    , m_options(options)
    , m_batches(batches)
{
}

std::vector<std::int64_t> DistributedSampler::globalOrder(std::int64_t epoch) const
{
    std::vector<std::int64_t> order = m_indices;
    if (m_options.shuffle) {
        data::SplitMix64 rng(data::mixSeed({m_options.seed, std::uint64_t(epoch), kOrderTag}));
        data::shuffleInPlace(order, rng);
    }
    return order;
}

EpochShard DistributedSampler::shard(std::int64_t epoch) const
{
    const auto order = globalOrder(epoch);
    const auto n = std::int64_t(order.size());
    EpochShard shard;
    for (std::int64_t k = 0; k < m_batches; ++k) {
        const std::int64_t start = k * m_options.globalBatchSize;
        const std::int64_t size = std::min(m_options.globalBatchSize, n - start);
        const auto [first, count] = part(size, m_options.worldSize, m_options.rank);
        shard.indices.insert(shard.indices.end(), order.begin() + start + first,
                             order.begin() + start + first + count);
        shard.batchSizes.push_back(count);
    }
    return shard;
}

} // namespace lathe::dist
