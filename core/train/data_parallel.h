#pragma once

#include "core/model/net.h"
#include "core/util/error.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace lathe::train {

/// The context of the Error (ErrorCode::Training) that ends a data-parallel rank because another
/// rank is gone: killed, crashed, its host unreachable or silent past the timeout. RunRecorder
/// marks such a run interrupted (resumable from its last checkpoint), not failed.
inline constexpr const char *kLostWorkerContext = "data parallel: lost a worker";

/// One rank's samples of one epoch: its part of each global batch, batch after batch. Each part
/// but the last has `batchSize` samples; there are `batches` (the same on every rank).
struct RankEpoch
{
    std::vector<std::int64_t> indices;
    std::int64_t batchSize = 0;
    std::int64_t batches = 0;
};

/// What one rank's optimizer step saw (Trainer → DataParallel::exchange).
struct StepShare
{
    double lossSum = 0.0; ///< loss times samples, summed over the step's micro-batches
    double correct = 0.0;
    std::int64_t samples = 0;
    double seconds = 0.0; ///< the step's compute time on this rank, reduction included
    bool stop = false;    ///< this rank was asked to stop
    bool pause = false;   ///< this rank was asked to pause (only rank 0's counts)
};

/// The step over every rank: what the run records, and the agreed stop.
struct StepTotals
{
    double lossSum = 0.0;
    double correct = 0.0;
    std::int64_t samples = 0;
    double maxSeconds = 0.0;  ///< the slowest rank's step: the straggler
    double meanSeconds = 0.0; ///< over ranks
    double commSeconds = 0.0; ///< rank 0's gradient reduction: first launch to all back
    double waitSeconds = 0.0; ///< ... and the part of it not hidden behind backward
    bool stop = false;        ///< some rank was asked to stop: every rank stops after this step
    bool pause = false;       ///< rank 0 was asked to pause: every rank waits after this step
};

/// Data parallelism as the trainer sees it (TrainerOptions::dataParallel; core/dist implements
/// it on c10d). The trainer calls these in the same order on every rank, on its own thread; a
/// collective failing (a worker gone) is an Error the trainer ends the run with. Rank 0 alone is
/// given an observer and a checkpoint directory by its caller: the other ranks record nothing.
class DataParallel
{
public:
    virtual ~DataParallel() = default;
    virtual int rank() const = 0;
    virtual int worldSize() const = 0;
    /// Nodes the world spans (WORLD_SIZE / LOCAL_WORLD_SIZE); 0 when the launcher did not say.
    virtual int nodes() const = 0;

    /// Takes rank 0's weights and hooks gradient reduction onto `net`'s trainable parameters;
    /// called once the model is built and again when the trainable set changes (unfreezing).
    virtual Result<void> attach(model::Net &net) = 0;
    /// Rank 0's buffers (batch norm's running statistics) on every rank, so that every rank's
    /// evaluation is rank 0's and every rank takes the same early-stopping and plateau decisions.
    virtual Result<void> syncBuffers(model::Net &net) = 0;
    /// This rank's part of an evaluation set of `samples`: its first position and its count, by
    /// the sampler's rule for one batch (contiguous parts in rank order, ranks r < samples mod N
    /// one more), so the parts hold every sample exactly once and, in rank order, are the set.
    virtual std::pair<std::int64_t, std::int64_t> evalPart(std::int64_t samples) const = 0;
    /// Sums `values` (a contiguous CPU tensor: float, double or int64) over the ranks, in place,
    /// on every rank: a collective, so every rank calls it with the same shape.
    virtual Result<void> sumOverRanks(torch::Tensor &values) = 0;
    /// This rank's samples of epoch `epoch`, from the training split `train` in the
    /// single-process loader's order for `seed`, global batches of `globalBatch`.
    virtual Result<RankEpoch> shard(const std::vector<std::int64_t> &train, std::uint64_t seed,
                                    std::int64_t epoch, std::int64_t globalBatch)
        = 0;
    /// Before each backward: whether it ends the optimizer step (its gradients are reduced) or
    /// only accumulates.
    virtual void beforeBackward(bool endsStep) = 0;
    /// After the step's last backward: .grad holds the sum over ranks (each rank scaled its loss
    /// by its share of the global batch, so this is the single-process gradient).
    virtual Result<void> reduceGradients() = 0;
    /// Every rank's share of the step, combined (an all-gather). A paused run's ranks call it
    /// with empty shares a few times a second until rank 0 resumes (or some rank stops).
    virtual Result<StepTotals> exchange(const StepShare &mine) = 0;
};

} // namespace lathe::train
