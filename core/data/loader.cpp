#include "core/data/loader.h"

#include "core/data/rng.h"
#include "core/util/torch_error.h"

#include <torch/torch.h>

#if __has_include(<omp.h>)
#include <omp.h>
#define LATHE_HAVE_OMP 1
#endif

#include <ATen/Parallel.h>

#include <algorithm>
#include <fmt/format.h>

namespace lathe::data {

namespace {

// Tags keep the order stream and the augmentation stream of one epoch apart.
constexpr std::uint64_t kOrderTag = 0x6f72646572ULL; // "order"
constexpr std::uint64_t kAugmentTag = 0x6175676dULL; // "augm"

Error loaderError(ErrorCode code, std::string message)
{
    return Error{code, std::move(message), "data loader"};
}

} // namespace

Result<std::unique_ptr<Loader>> Loader::create(std::shared_ptr<const Dataset> dataset,
                                               const torch::Tensor &indices, LoaderOptions options)
{
    auto valid = validIndices(dataset.get(), indices);
    if (!valid)
        return std::unexpected(valid.error());
    return std::unique_ptr<Loader>(
        new Loader(std::move(dataset), std::move(*valid), std::move(options)));
}

Loader::Loader(std::shared_ptr<const Dataset> dataset, std::vector<std::int64_t> indices,
               LoaderOptions options)
    : m_dataset(std::move(dataset))
    , m_indices(std::move(indices))
    , m_options(std::move(options))
    , m_augment(m_options.augment)
{
    m_options.batchSize = std::max<std::int64_t>(1, m_options.batchSize);
    m_options.prefetch = std::max(0, m_options.prefetch);
    const auto n = std::int64_t(m_indices.size());
    m_batches = m_options.dropLast ? n / m_options.batchSize
                                   : (n + m_options.batchSize - 1) / m_options.batchSize;
    if (m_options.prefetch > 0)
        m_thread = std::thread([this] { produceLoop(); });
}

Loader::~Loader()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        m_queue.clear();
    }
    m_producerWake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

Result<std::vector<std::int64_t>> Loader::validIndices(const Dataset *dataset,
                                                       const torch::Tensor &indices)
{
    try {
        if (!dataset)
            return std::unexpected(loaderError(ErrorCode::InvalidArgument, "no dataset"));
        if (!indices.defined() || indices.dim() != 1 || indices.is_floating_point())
            return std::unexpected(
                loaderError(ErrorCode::InvalidArgument, "indices must be a 1-D integer tensor"));
        const torch::Tensor flat = indices.cpu().to(torch::kLong).contiguous();
        const auto *values = flat.data_ptr<std::int64_t>();
        std::vector<std::int64_t> out(values, values + flat.numel());
        const std::int64_t size = dataset->size();
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (out[i] < 0 || out[i] >= size)
                return std::unexpected(
                    loaderError(ErrorCode::InvalidArgument,
                                fmt::format("index {} at position {} is out of range: the "
                                            "dataset has {} samples",
                                            out[i], i, size)));
        }
        return out;
    } catch (const std::exception &e) {
        return std::unexpected(loaderError(ErrorCode::Internal, util::describe(e)));
    }
}

std::int64_t Loader::batchesPerEpoch() const
{
    return m_batches;
}

std::int64_t Loader::samples() const
{
    return std::int64_t(m_indices.size());
}

std::vector<std::int64_t> Loader::epochOrder(std::int64_t epoch) const
{
    std::vector<std::int64_t> order = m_indices;
    if (m_options.shuffle) {
        SplitMix64 rng(mixSeed({m_options.seed, std::uint64_t(epoch), kOrderTag}));
        shuffleInPlace(order, rng);
    }
    return order;
}

void Loader::startEpoch(std::int64_t epoch, std::int64_t skipBatches)
{
    std::shared_ptr<const std::vector<std::int64_t>> order;
    std::optional<Error> failure;
    try {
        order = std::make_shared<const std::vector<std::int64_t>>(epochOrder(epoch));
    } catch (const std::exception &e) {
        failure = loaderError(ErrorCode::Internal, e.what());
    }
    {
        std::lock_guard lock(m_mutex);
        ++m_generation; // anything the producer has in flight is now stale
        m_queue.clear();
        m_order = std::move(order);
        m_epoch = epoch;
        m_nextToProduce = m_nextToConsume = std::clamp<std::int64_t>(skipBatches, 0, m_batches);
        m_active = true;
        m_failure = std::move(failure);
    }
    m_producerWake.notify_one();
}

Result<std::optional<Batch>> Loader::next()
{
    std::unique_lock lock(m_mutex);
    if (!m_active)
        return std::unexpected(
            loaderError(ErrorCode::InvalidArgument, "next() called before startEpoch()"));
    if (m_failure)
        return std::unexpected(*m_failure);
    if (m_nextToConsume >= m_batches)
        return std::optional<Batch>();
    Result<Batch> item = fail(ErrorCode::Internal, "no batch");
    if (m_options.prefetch == 0) {
        const Job job{m_generation, m_epoch, m_nextToConsume, m_order, m_augment};
        lock.unlock();
        item = produce(job);
        lock.lock();
    } else {
        m_consumerWake.wait(lock, [this] { return !m_queue.empty(); });
        item = std::move(m_queue.front());
        m_queue.pop_front();
    }
    ++m_nextToConsume;
    if (!item)
        m_failure = item.error();
    lock.unlock();
    m_producerWake.notify_one();
    if (!item)
        return std::unexpected(std::move(item.error()));
    return std::optional<Batch>(std::move(*item));
}

void Loader::setAugment(const AugmentConfig &augment)
{
    {
        std::lock_guard lock(m_mutex);
        m_augment = augment;
        ++m_generation; // batches made ahead with the old augmentation are stale
        m_queue.clear();
        m_nextToProduce = m_nextToConsume;
    }
    m_producerWake.notify_one();
}

bool Loader::canProduce() const
{
    return m_active && !m_failure && m_nextToProduce < m_batches
           && std::int64_t(m_queue.size()) < m_options.prefetch;
}

void Loader::produceLoop()
{
    at::init_num_threads(); // take the intra-op thread count set on the main thread
#ifdef LATHE_HAVE_OMP
    // A batch is small: run its ops on this thread alone rather than start a second OpenMP
    // team next to the training step's.
    omp_set_num_threads(1);
#endif
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_producerWake.wait(lock, [this] { return m_stopping || canProduce(); });
        if (m_stopping)
            return;
        const Job job{m_generation, m_epoch, m_nextToProduce++, m_order, m_augment};
        lock.unlock();
        Result<Batch> batch = produce(job);
        lock.lock();
        if (job.generation != m_generation || m_stopping)
            continue; // startEpoch() or the destructor discarded this epoch
        if (!batch)
            m_nextToProduce = m_batches; // a failure ends the epoch
        m_queue.push_back(std::move(batch));
        m_consumerWake.notify_one();
    }
}

Result<Batch> Loader::produce(const Job &job) const
{
    std::string cause;
    try {
        return makeBatch(job);
    } catch (const std::exception &e) {
        cause = util::describe(e);
    } catch (...) {
        cause = "unknown exception";
    }
    return std::unexpected(
        loaderError(ErrorCode::BadInput, fmt::format("could not produce batch {} of epoch {}: {}",
                                                     job.batch, job.epoch, cause)));
}

Result<Batch> Loader::makeBatch(const Job &job) const
{
    const std::int64_t start = job.batch * m_options.batchSize;
    const std::int64_t count
        = std::min<std::int64_t>(m_options.batchSize, std::int64_t(job.order->size()) - start);
    torch::Tensor rows = torch::empty({count}, torch::kLong);
    std::copy_n(job.order->data() + start, count, rows.data_ptr<std::int64_t>());
    torch::Tensor x = m_dataset->images(rows);
    if (!x.defined() || x.dim() != 4 || x.size(0) != count)
        return std::unexpected(loaderError(
            ErrorCode::BadInput,
            fmt::format("batch {} of epoch {}: the dataset returned images of the wrong shape "
                        "(expected [{},C,H,W])",
                        job.batch, job.epoch, count)));
    x = x.to(torch::kFloat);
    const std::uint64_t seed = mixSeed(
        {m_options.seed, std::uint64_t(job.epoch), std::uint64_t(job.batch), kAugmentTag});
    x = augmentBatch(x, job.augment, seed);
    if (job.augment.enabled && m_options.extraAugment)
        x = m_options.extraAugment(x, seed);
    if (m_options.normalization)
        x = m_options.normalization->apply(x);
    torch::Tensor y = m_dataset->labels().index_select(0, rows).to(torch::kLong);
    return Batch{x.contiguous(), std::move(y)};
}

} // namespace lathe::data
