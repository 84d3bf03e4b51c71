#pragma once

#include "core/data/augment.h"
#include "core/data/dataset.h"
#include "core/data/normalization.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace lathe::data {

/// How a Loader batches, orders, augments and normalises.
struct LoaderOptions
{
    std::int64_t batchSize = 128; ///< samples per batch (values below 1 count as 1)
    bool shuffle = true;          ///< permute each epoch (seeded by seed and epoch)
    bool dropLast = false;        ///< drop a final batch smaller than batchSize
    std::uint64_t seed = 0;       ///< root of the epoch order and augmentation seeds
    /// Batches produced ahead on the background thread. 0 = no thread: next() produces the
    /// batch on the caller's thread (the batches are the same either way).
    int prefetch = 2;
    AugmentConfig augment; ///< applied first (per batch, seeded by seed, epoch, batch)
    std::optional<Normalization> normalization; ///< applied after augmentation
    /// Applied after `augment` (same seed), before normalisation, while augment.enabled:
    /// augment.extra set up by the trainer. Called on the producer thread; what it throws fails
    /// that batch (BadInput).
    std::function<torch::Tensor(const torch::Tensor &batch, std::uint64_t seed)> extraAugment = {};
};

/// Serves mini-batches of `dataset` restricted to `indices`, produced on one background
/// thread up to `prefetch` batches ahead, or inside next() when `prefetch` is 0. The epoch order is
/// a permutation seeded by (seed, epoch), and batch k's augmentation seed by (seed, epoch, k), so
/// batch k of an epoch is bit-identical whatever the prefetch depth and whether the epoch was
/// started at batch 0 or resumed with skipBatches: resuming a run is exact.
///
/// Threading: one consumer thread calls startEpoch()/next() (not concurrently with each
/// other); the producer thread reads the dataset, which must be thread-safe. The destructor
/// stops and joins the producer, even mid-epoch (waiting at most for the batch in flight).
/// Nothing throws out of the loader except std::bad_alloc/std::system_error from create() if
/// the process is out of memory or threads.
class Loader
{
public:
    /// A loader over dataset samples `indices` (integer [n], each in [0, N)), its producer
    /// thread started. InvalidArgument (context "data loader") saying what is wrong for a null
    /// dataset or indices out of range or not 1-D.
    static Result<std::unique_ptr<Loader>> create(std::shared_ptr<const Dataset> dataset,
                                                  const torch::Tensor &indices,
                                                  LoaderOptions options);
    ~Loader();

    Loader(const Loader &) = delete;
    Loader &operator=(const Loader &) = delete;

    /// Batches in one epoch: ceil(n / batchSize), or floor with dropLast.
    std::int64_t batchesPerEpoch() const;
    /// Number of samples n the loader draws from (before dropLast).
    std::int64_t samples() const;

    /// Starts (or restarts) epoch `epoch` at batch `skipBatches` (clamped to
    /// [0, batchesPerEpoch()]), cancelling and discarding whatever the previous epoch had in
    /// flight. Never throws.
    void startEpoch(std::int64_t epoch, std::int64_t skipBatches = 0);

    /// The next batch of the current epoch: a Batch (x float32 [B,C,H,W], augmented then
    /// normalised; y int64 [B]); std::nullopt when the epoch is over; an Error when
    /// startEpoch() was never called
    /// (InvalidArgument), or producing the batch failed (BadInput, message naming the epoch,
    /// the batch and the cause). After a failure the epoch is over and next() keeps returning
    /// the same error until the next startEpoch(). Blocks until the batch is ready. Never
    /// throws.
    Result<std::optional<Batch>> next();

    /// Uses `augment` for every batch not yet consumed (batches produced ahead with the old
    /// one are discarded), keeping the epoch's position. A run being steered calls this
    /// between steps. Never throws.
    void setAugment(const AugmentConfig &augment);

private:
    Loader(std::shared_ptr<const Dataset> dataset, std::vector<std::int64_t> indices,
           LoaderOptions options);

    /// One batch to produce: its epoch (generation), position and the epoch's order.
    struct Job
    {
        std::uint64_t generation;
        std::int64_t epoch;
        std::int64_t batch;
        std::shared_ptr<const std::vector<std::int64_t>> order;
        AugmentConfig augment;
    };

    /// `indices` as a vector, checked against `dataset`.
    static Result<std::vector<std::int64_t>> validIndices(const Dataset *dataset,
                                                          const torch::Tensor &indices);
    std::vector<std::int64_t> epochOrder(std::int64_t epoch) const;
    bool canProduce() const;
    void produceLoop();
    Result<Batch> produce(const Job &job) const;
    Result<Batch> makeBatch(const Job &job) const;

    std::shared_ptr<const Dataset> m_dataset;
    std::vector<std::int64_t> m_indices;
    LoaderOptions m_options;
    std::int64_t m_batches = 0;

    std::mutex m_mutex;
    std::condition_variable m_producerWake;
    std::condition_variable m_consumerWake;
    std::deque<Result<Batch>> m_queue;                        // guarded by m_mutex
    std::shared_ptr<const std::vector<std::int64_t>> m_order; // guarded by m_mutex
    std::uint64_t m_generation = 0;                           // guarded by m_mutex
    AugmentConfig m_augment;                                  // guarded by m_mutex
    std::int64_t m_epoch = 0;                                 // guarded by m_mutex
    std::int64_t m_nextToProduce = 0;                         // guarded by m_mutex
    std::int64_t m_nextToConsume = 0;                         // guarded by m_mutex
    bool m_active = false;                                    // guarded by m_mutex
    bool m_stopping = false;                                  // guarded by m_mutex
    std::optional<Error> m_failure;                           // guarded by m_mutex
    std::thread m_thread;
};

} // namespace lathe::data
