#include "core/dist/data_parallel_group.h"

#include "core/dist/sampler.h"
#include "core/util/sha256.h"
#include "core/util/torch_error.h"

namespace lathe::dist {

namespace {

// The order of a step's share in the all-gathered row.
enum Field { LossSum, Correct, Samples, Seconds, Stop, Comm, Wait, Pause, kFields };

} // namespace

std::string DataParallelGroup::configHash(const train::RunConfig &config)
{
    auto json = config.toJson();
    json.erase("dist"); // recorded by rank 0, not trained with
    return util::sha256Hex(json.dump());
}

Result<std::shared_ptr<DataParallelGroup>>
DataParallelGroup::connect(const DistOptions &options, const train::RunConfig &config,
                           ReducerOptions reducer)
{
    // CUDA tensors go through NCCL (one GPU per local rank), CPU tensors through Gloo.
    const auto backend = config.training.device == "cuda" ? Backend::Nccl : Backend::Gloo;
    auto group = ProcessGroup::connect(options, configHash(config), backend);
    if (!group)
        return std::unexpected(group.error());
    return std::shared_ptr<DataParallelGroup>(
        new DataParallelGroup(std::move(*group), reducer, config.training.syncBatchNorm));
}

DataParallelGroup::DataParallelGroup(std::unique_ptr<ProcessGroup> group, ReducerOptions reducer,
                                     bool syncBatchNorm)
    : m_group(std::move(group))
    , m_reducerOptions(reducer)
    , m_syncBatchNorm(syncBatchNorm)
    , m_batchNorm(std::make_shared<SyncBatchNormContext>())
{
    m_batchNorm->group = m_group.get();
}

DataParallelGroup::~DataParallelGroup()
{
    m_batchNorm->group = nullptr; // a net that outlives the group normalises per rank again
}

int DataParallelGroup::rank() const
{
    return m_group->rank();
}

int DataParallelGroup::worldSize() const
{
    return m_group->worldSize();
}

int DataParallelGroup::nodes() const
{
    const auto &o = m_group->options();
    return o.localWorldSize > 0 ? o.worldSize / o.localWorldSize : 0;
}

Result<void> DataParallelGroup::attach(model::Net &net)
{
    if (m_syncBatchNorm && worldSize() > 1)
        if (auto synced = synchroniseBatchNorm(net, m_batchNorm); !synced)
            return std::unexpected(synced.error());
    m_reducer.reset(); // its hooks off the parameters before new ones go on
    auto reducer = GradientReducer::create(*m_group, net->parameters(), m_reducerOptions);
    if (!reducer)
        return std::unexpected(reducer.error());
    m_reducer = std::move(*reducer);
    return {};
}

Result<void> DataParallelGroup::syncBuffers(model::Net &net)
{
    for (auto &buffer : net->buffers()) {
        torch::NoGradGuard noGrad;
        auto flat = buffer.contiguous();
        if (auto ok = m_group->broadcast(flat, 0); !ok)
            return ok;
        if (flat.data_ptr() != buffer.data_ptr())
            buffer.copy_(flat);
    }
    return {};
}

std::pair<std::int64_t, std::int64_t> DataParallelGroup::evalPart(std::int64_t samples) const
{
    return DistributedSampler::part(samples, worldSize(), rank());
}

Result<void> DataParallelGroup::sumOverRanks(torch::Tensor &values)
{
    values = values.contiguous();
    return m_group->allreduceSum(values);
}

Result<train::RankEpoch> DataParallelGroup::shard(const std::vector<std::int64_t> &train,
                                                  std::uint64_t seed, std::int64_t epoch,
                                                  std::int64_t globalBatch)
{
    auto sampler
        = DistributedSampler::create(train, {seed, globalBatch, worldSize(), rank(), true, 2});
    if (!sampler)
        return std::unexpected(sampler.error());
    auto part = sampler->shard(epoch);
    train::RankEpoch out;
    out.batches = sampler->batchesPerEpoch();
    out.batchSize = part.batchSizes.empty() ? 0 : part.batchSizes.front();
    out.indices = std::move(part.indices);
    return out;
}

void DataParallelGroup::beforeBackward(bool endsStep)
{
    m_reducer->prepare(endsStep);
}

Result<void> DataParallelGroup::batchNormFailure() const
{
    if (m_batchNorm->failure)
        return std::unexpected(*m_batchNorm->failure);
    return {};
}

Result<void> DataParallelGroup::reduceGradients()
{
    auto reduced = m_reducer->finish();
    if (auto failed = batchNormFailure(); !failed)
        return failed;
    return reduced;
}

Result<train::StepTotals> DataParallelGroup::exchange(const train::StepShare &mine)
{
    const auto &times = m_reducer->lastStep();
    std::vector<double> row(kFields, 0.0);
    row[LossSum] = mine.lossSum;
    row[Correct] = mine.correct;
    row[Samples] = double(mine.samples);
    row[Seconds] = mine.seconds;
    row[Stop] = mine.stop ? 1.0 : 0.0;
    row[Comm] = times.commSeconds;
    row[Wait] = times.waitSeconds;
    row[Pause] = mine.pause ? 1.0 : 0.0;
    auto all = m_group->allgather(torch::tensor(row, torch::kDouble));
    if (auto failed = batchNormFailure(); !failed)
        return std::unexpected(failed.error());
    if (!all)
        return std::unexpected(all.error());
    train::StepTotals totals;
    for (const auto &share : *all) {
        const auto *v = share.data_ptr<double>();
        totals.lossSum += v[LossSum];
        totals.correct += v[Correct];
        totals.samples += std::int64_t(v[Samples]);
        totals.maxSeconds = std::max(totals.maxSeconds, v[Seconds]);
        totals.meanSeconds += v[Seconds] / double(all->size());
        totals.stop = totals.stop || v[Stop] != 0.0;
    }
    const auto *first = (*all)[0].data_ptr<double>();
    totals.commSeconds = first[Comm];
    totals.waitSeconds = first[Wait];
    totals.pause = first[Pause] != 0.0; // rank 0 decides
    return totals;
}

} // namespace lathe::dist
