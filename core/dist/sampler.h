#pragma once

#include "core/util/error.h"

#include <cstdint>
#include <vector>

namespace lathe::dist {

/// How one rank takes its part of every global batch (DistributedSampler).
struct SamplerOptions
{
    std::uint64_t seed = 0;           ///< training.seed: the epoch order's root, as the loader's
    std::int64_t globalBatchSize = 1; ///< training.batch_size: samples per step over all ranks
    int worldSize = 1;
    int rank = 0;
    bool shuffle = true;
    /// No rank's part of a step may be smaller: the trainer asks 2, because batch norm cannot
    /// train on one sample ("expected more than 1 value per channel").
    std::int64_t minPerRank = 1;
};

/// One rank's samples for one epoch: its batches one after another.
struct EpochShard
{
    std::vector<std::int64_t> indices;    ///< dataset indices, batch after batch
    std::vector<std::int64_t> batchSizes; ///< this rank's samples in each global step
};

/// The distributed sampler. Each epoch has one global order, the permutation of the training
/// indices seeded by (seed, epoch) exactly as data::Loader shuffles them, whatever the world
/// size: with one rank, a rank's batches are the single-process run's batches, sample for
/// sample. Global batch k is order[k*B, (k+1)*B) (B = globalBatchSize; the last may be shorter);
/// rank r takes a contiguous part of it: with n samples in the batch and N ranks, ranks
/// r < n mod N take floor(n/N) + 1 and the others floor(n/N), in rank order. So the union of the
/// ranks' step-k samples is the single-process step k's batch, and every sample is used exactly
/// once per epoch.
///
/// Remainder rule: nothing is padded or repeated. A short last batch is split by the same rule;
/// the trainer scales each rank's loss by its own sample count over the global batch size and
/// the reducer sums, so the step's gradient is the single-process one even when ranks hold
/// different numbers of samples. The last batch is dropped (its samples wait for the next
/// epoch's shuffle) only when some rank's part of it would be under minPerRank and the epoch
/// has other batches: with one rank and minPerRank 2 that is the trainer's own rule (a last
/// batch of one sample is dropped).
///
/// Pure and thread-safe.
class DistributedSampler
{
public:
    /// InvalidArgument (context "training.batch_size") when a full global batch would give a
    /// rank fewer than minPerRank samples, or for options out of range.
    static Result<DistributedSampler> create(std::vector<std::int64_t> indices,
                                             SamplerOptions options);

    /// The global order of epoch `epoch` (every rank computes the same).
    std::vector<std::int64_t> globalOrder(std::int64_t epoch) const;
    /// Steps per epoch, the same on every rank.
    std::int64_t batchesPerEpoch() const { return m_batches; }
    /// This rank's samples of epoch `epoch`.
    EpochShard shard(std::int64_t epoch) const;

    /// The first position and the count of `rank`'s part of a batch of `batchSize` samples.
    static std::pair<std::int64_t, std::int64_t> part(std::int64_t batchSize, int worldSize,
                                                      int rank);

private:
    DistributedSampler(std::vector<std::int64_t> indices, SamplerOptions options,
                       std::int64_t batches);

    std::vector<std::int64_t> m_indices;
    SamplerOptions m_options;
    std::int64_t m_batches = 0;
};

} // namespace lathe::dist
