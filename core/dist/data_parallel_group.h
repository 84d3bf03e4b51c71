#pragma once

#include "core/dist/dist_options.h"
#include "core/dist/gradient_reducer.h"
#include "core/dist/process_group.h"
#include "core/dist/sync_batch_norm.h"
#include "core/train/data_parallel.h"
#include "core/train/run_config.h"

#include <memory>
#include <string>

namespace lathe::dist {

/// The trainer's data parallelism (train::DataParallel) on a c10d process group: the
/// DistributedSampler for each epoch's part (minPerRank 2, batch norm's minimum, so with one
/// rank it is the trainer's own dropLast rule), a GradientReducer summing gradients (the trainer
/// scales each rank's loss by its share of the global batch), rank 0's buffers broadcast before
/// evaluations, and each step's shares all-gathered (losses and counts summed, the slowest step,
/// any rank's stop, rank 0's pause). With training.sync_batch_norm and more than one rank, attach()
/// also puts a SyncBatchNorm in place of each batch norm stage (sync_batch_norm.h). Used by one
/// trainer on its training thread.
class DataParallelGroup : public train::DataParallel
{
public:
    /// Meets the other ranks (ProcessGroup::connect) with `config`'s hash, so that ranks started
    /// with different configs or overrides refuse to train together. Errors: connect's.
    /// attach() then also fails (InvalidArgument) for training.sync_batch_norm on a net with a
    /// batch norm layer that is not a stage of its own (synchroniseBatchNorm).
    static Result<std::shared_ptr<DataParallelGroup>> connect(const DistOptions &options,
                                                              const train::RunConfig &config,
                                                              ReducerOptions reducer = {});

    ~DataParallelGroup() override;

    int rank() const override;
    int worldSize() const override;
    int nodes() const override;
    Result<void> attach(model::Net &net) override;
    Result<void> syncBuffers(model::Net &net) override;
    std::pair<std::int64_t, std::int64_t> evalPart(std::int64_t samples) const override;
    Result<void> sumOverRanks(torch::Tensor &values) override;
    Result<train::RankEpoch> shard(const std::vector<std::int64_t> &train, std::uint64_t seed,
                                   std::int64_t epoch, std::int64_t globalBatch) override;
    void beforeBackward(bool endsStep) override;
    Result<void> reduceGradients() override;
    Result<train::StepTotals> exchange(const train::StepShare &mine) override;

    /// The hash every rank compares: SHA-256 of the config's JSON without "dist" (what rank 0
    /// records about the world, not a setting).
    static std::string configHash(const train::RunConfig &config);

private:
    DataParallelGroup(std::unique_ptr<ProcessGroup> group, ReducerOptions reducer,
                      bool syncBatchNorm);
    /// A synchronised batch norm's failed all-reduce, if any (kept there by the layer).
    Result<void> batchNormFailure() const;

    std::unique_ptr<ProcessGroup> m_group;
    ReducerOptions m_reducerOptions;
    std::unique_ptr<GradientReducer> m_reducer;
    bool m_syncBatchNorm = false;
    std::shared_ptr<SyncBatchNormContext> m_batchNorm; ///< shared with the net's layers
};

} // namespace lathe::dist
