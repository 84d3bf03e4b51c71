#pragma once

#include "core/dist/dist_options.h"
#include "core/dist/gradient_reducer.h"
#include "core/dist/process_group.h"
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
/// any rank's stop). Used by one trainer on its training thread.
class DataParallelGroup : public train::DataParallel
{
public:
    /// Meets the other ranks (ProcessGroup::connect) with `config`'s hash, so that ranks started
    /// with different configs or overrides refuse to train together. Errors: connect's.
    static Result<std::shared_ptr<DataParallelGroup>> connect(const DistOptions &options,
                                                              const train::RunConfig &config,
                                                              ReducerOptions reducer = {});

    int rank() const override;
    int worldSize() const override;
    int nodes() const override;
    Result<void> attach(model::Net &net) override;
    Result<void> syncBuffers(model::Net &net) override;
    Result<train::RankEpoch> shard(const std::vector<std::int64_t> &train, std::uint64_t seed,
                                   std::int64_t epoch, std::int64_t globalBatch) override;
    void beforeBackward(bool endsStep) override;
    Result<void> reduceGradients() override;
    Result<train::StepTotals> exchange(const train::StepShare &mine) override;

    /// The hash every rank compares: SHA-256 of the config's JSON without "dist" (what rank 0
    /// records about the world, not a setting).
    static std::string configHash(const train::RunConfig &config);

private:
    DataParallelGroup(std::unique_ptr<ProcessGroup> group, ReducerOptions reducer);

    std::unique_ptr<ProcessGroup> m_group;
    ReducerOptions m_reducerOptions;
    std::unique_ptr<GradientReducer> m_reducer;
};

} // namespace lathe::dist
