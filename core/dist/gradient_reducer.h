#pragma once

#include "core/dist/process_group.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace lathe::dist {

/// How GradientReducer groups and combines gradients.
struct ReducerOptions
{
    /// A bucket closes once its gradients reach this size (DDP's default, 25 MiB); a single
    /// larger parameter is a bucket of its own.
    std::int64_t bucketBytes = 25 * 1024 * 1024;
    /// Sum: each rank already scaled its loss by its share of the global batch (the trainer).
    /// Mean: divide the sum by the world size (ranks with equal batches, as DDP).
    enum class Reduction { Sum, Mean } reduction = Reduction::Sum;
    /// Launch each bucket's all-reduce from its gradient hooks during backward (true), or all of
    /// them in finish() (false: no overlap, the baseline the overlap is measured against).
    bool overlap = true;
};

/// What one step's reduction cost, in seconds (GradientReducer::lastStep).
struct ReducerTimes
{
    /// From the first bucket's launch to the moment finish() had every bucket back: the span
    /// the communication occupied, the part overlapped with backward included.
    double commSeconds = 0.0;
    /// The part of it finish() waited for: communication not hidden behind backward.
    double waitSeconds = 0.0;
    int bucketsInBackward = 0; ///< buckets launched from the hooks, before finish()
};

/// Sums (or averages) gradients over the ranks of a ProcessGroup the way PyTorch's DDP reducer
/// does, on LibTorch's public API: the trainable parameters are cut into buckets in reverse
/// registration order (roughly the order backward produces their gradients), each bucket one
/// flat buffer. A hook on each parameter (Tensor::register_hook, called with the gradient
/// before it is accumulated into .grad) copies the parameter's accumulated gradient (.grad so
/// far plus the new one, so gradient accumulation over micro-batches is reduced whole) into its
/// bucket; when a bucket is complete its asynchronous all-reduce starts at once, so
/// communication overlaps the rest of backward. Buckets start strictly in index order (a bucket
/// complete early waits for the ones before it): every rank issues the same collectives in the
/// same order, which Gloo and NCCL require. So a parameter that gets no gradient (unused this
/// step) holds back its bucket and every later one until finish(): correct, but not overlapped.
///
/// finish() launches what the hooks did not (parameters without a gradient this step count as
/// zero), waits, and writes the result into each parameter's .grad. A parameter no rank gave a
/// gradient to keeps an undefined .grad, as in single-process training (a per-parameter flag
/// travels in the bucket), so optimizers skip it as they would.
///
/// Not thread-safe beyond this: the training thread calls prepare() and finish(); the hooks run
/// on the thread that runs backward (guarded by a mutex).
class GradientReducer
{
public:
    /// A reducer over `parameters` (those with requires_grad; the others are left alone), with
    /// rank 0's values broadcast to every rank first, so all ranks start from the same weights.
    /// Errors: the broadcast's (a worker gone), parameters not on the CPU (Internal: NCCL is
    /// not built yet).
    static Result<std::unique_ptr<GradientReducer>>
    create(ProcessGroup &group, std::vector<torch::Tensor> parameters, ReducerOptions options = {});
    ~GradientReducer(); ///< removes the hooks

    GradientReducer(const GradientReducer &) = delete;
    GradientReducer &operator=(const GradientReducer &) = delete;

    /// Whether the next backward's gradients are to be reduced (the last micro-batch of a
    /// step) or only accumulated locally (the ones before it). Clears the previous step's
    /// bucket state.
    void prepare(bool reduceThisBackward);

    /// After the backward that prepare(true) announced: every bucket reduced and written into
    /// .grad. Errors (Training) from the collectives, naming the rank; never throws.
    Result<void> finish();

    const ReducerTimes &lastStep() const { return m_times; }
    /// The buckets, each a list of indices into the trainable parameters (tests, logs).
    std::vector<std::vector<std::size_t>> bucketLayout() const;

private:
    struct Slot
    {
        torch::Tensor param;
        std::size_t bucket = 0;
        std::int64_t offset = 0;   // in the bucket's flat buffer
        std::int64_t position = 0; // in the bucket's slots (its "had a gradient" flag)
        unsigned hook = 0;
    };
    struct Bucket
    {
        std::vector<std::size_t> slots;
        torch::Tensor flat;  // gradients, then one "had a gradient" flag per slot
        torch::Tensor grads; // flat's gradient part
        std::int64_t flagsAt = 0;
        std::size_t pending = 0; // slots whose gradient has not arrived this step
        bool launched = false;
    };

    GradientReducer(ProcessGroup &group, ReducerOptions options);
    void build(std::vector<torch::Tensor> parameters);
    void onGradient(std::size_t slot, const torch::Tensor &grad);
    void launchReady(bool all);

    ProcessGroup &m_group;
    ReducerOptions m_options;
    std::vector<Slot> m_slots;
    std::vector<Bucket> m_buckets;
    std::vector<Pending> m_pending; // by bucket, those launched this step
    std::size_t m_nextLaunch = 0;
    bool m_armed = false;
    double m_firstLaunch = 0.0;
    ReducerTimes m_times;
    std::mutex m_mutex;
};

} // namespace lathe::dist
