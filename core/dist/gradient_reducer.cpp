#include "core/dist/gradient_reducer.h"

#include "core/util/clock.h"
#include "core/util/torch_error.h"

#include <algorithm>

namespace lathe::dist {

Result<std::unique_ptr<GradientReducer>> GradientReducer::create(ProcessGroup &group,
                                                                 std::vector<torch::Tensor> params,
                                                                 ReducerOptions options)
{
    std::erase_if(params, [](const torch::Tensor &p) { return !p.requires_grad(); });
    for (const auto &p : params)
        if (!p.device().is_cpu())
            return fail(ErrorCode::Internal,
                        "the gradient reducer runs Gloo on CPU tensors; NCCL for "
                            + p.device().str() + " tensors is not built",
                        "data parallel");
    // Rank 0's weights everywhere: the ranks seed alike, but a start from a file or anything
    // drawn differently would otherwise train N different models.
    for (const auto &p : params) {
        torch::NoGradGuard noGrad;
        auto flat = p.detach().contiguous();
        if (auto ok = group.broadcast(flat, 0); !ok)
            return std::unexpected(ok.error());
        if (flat.data_ptr() != p.data_ptr())
            p.detach().copy_(flat);
    }
    std::unique_ptr<GradientReducer> reducer(new GradientReducer(group, options));
    try {
        reducer->build(std::move(params));
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, "cannot set up the gradient buckets: " + util::describe(e),
                    "data parallel");
    }
    return reducer;
}

GradientReducer::GradientReducer(ProcessGroup &group, ReducerOptions options)
    : m_group(group)
    , m_options(options)
{
}

GradientReducer::~GradientReducer()
{
    for (auto &slot : m_slots)
        slot.param.remove_hook(slot.hook);
}

void GradientReducer::build(std::vector<torch::Tensor> params)
{
    // Reverse registration order: the last layers' gradients come first in backward.
    std::reverse(params.begin(), params.end());
    std::int64_t bytes = 0;
    for (auto &p : params) {
        const std::int64_t size = p.numel() * std::int64_t(p.element_size());
        const bool fresh
            = m_buckets.empty() || bytes + size > m_options.bucketBytes
              || m_slots[m_buckets.back().slots.front()].param.scalar_type() != p.scalar_type();
        if (fresh) {
            m_buckets.emplace_back();
            bytes = 0;
        }
        auto &bucket = m_buckets.back();
        m_slots.push_back({p, m_buckets.size() - 1, 0, std::int64_t(bucket.slots.size()), 0});
        bucket.slots.push_back(m_slots.size() - 1);
        bytes += size;
    }
    for (auto &bucket : m_buckets) {
        std::int64_t numel = 0;
        for (auto i : bucket.slots) {
            m_slots[i].offset = numel;
            numel += m_slots[i].param.numel();
        }
        const auto dtype = m_slots[bucket.slots.front()].param.scalar_type();
        bucket.flagsAt = numel;
        bucket.flat = torch::zeros({numel + std::int64_t(bucket.slots.size())},
                                   torch::TensorOptions().dtype(dtype));
        bucket.grads = bucket.flat.narrow(0, 0, numel);
    }
    for (std::size_t i = 0; i < m_slots.size(); ++i)
        m_slots[i].hook = m_slots[i].param.register_hook(
            [this, i](const torch::Tensor &grad) { onGradient(i, grad); });
}

std::vector<std::vector<std::size_t>> GradientReducer::bucketLayout() const
{
    std::vector<std::vector<std::size_t>> layout;
    for (const auto &bucket : m_buckets)
        layout.push_back(bucket.slots);
    return layout;
}

void GradientReducer::prepare(bool reduceThisBackward)
{
    std::lock_guard lock(m_mutex);
    m_armed = reduceThisBackward;
    for (auto &bucket : m_buckets) {
        bucket.pending = bucket.slots.size();
        bucket.launched = false;
        bucket.flat.zero_();
    }
    m_pending.clear();
    m_nextLaunch = 0;
    m_times = {};
}

void GradientReducer::onGradient(std::size_t index, const torch::Tensor &grad)
{
    std::lock_guard lock(m_mutex);
    if (!m_armed || !grad.defined())
        return;
    auto &slot = m_slots[index];
    auto &bucket = m_buckets[slot.bucket];
    torch::NoGradGuard noGrad;
    // The hook runs before this gradient is added to .grad: what .grad will hold is the sum.
    const auto &sofar = slot.param.grad();
    auto target = bucket.grads.narrow(0, slot.offset, slot.param.numel()).view(slot.param.sizes());
    if (sofar.defined())
        torch::add_out(target, sofar, grad);
    else
        target.copy_(grad);
    bucket.flat[bucket.flagsAt + slot.position].fill_(1);
    if (--bucket.pending == 0 && m_options.overlap)
        launchReady(false);
}

void GradientReducer::launchReady(bool all)
{
    while (m_nextLaunch < m_buckets.size() && (all || m_buckets[m_nextLaunch].pending == 0)) {
        auto &bucket = m_buckets[m_nextLaunch];
        if (m_pending.empty())
            m_firstLaunch = util::monotonicNow();
        m_pending.push_back(m_group.allreduceSumAsync(bucket.flat));
        bucket.launched = true;
        if (!all)
            ++m_times.bucketsInBackward;
        ++m_nextLaunch;
    }
}

Result<void> GradientReducer::finish()
{
    std::lock_guard lock(m_mutex);
    if (!m_armed)
        return fail(ErrorCode::Internal, "finish() without prepare(true) before the backward",
                    "data parallel");
    m_armed = false;
    const double start = util::monotonicNow();
    try {
        // Parameters that got no gradient this step leave their bucket incomplete: it goes now,
        // their part zero and flagged unused.
        launchReady(true);
        for (auto &pending : m_pending)
            if (auto ok = pending.wait(); !ok)
                return std::unexpected(ok.error());
        const double done = util::monotonicNow();
        m_times.waitSeconds = done - start;
        m_times.commSeconds = done - m_firstLaunch;
        torch::NoGradGuard noGrad;
        const double divisor
            = m_options.reduction == ReducerOptions::Reduction::Mean ? m_group.worldSize() : 1.0;
        for (auto &bucket : m_buckets) {
            if (divisor != 1.0)
                bucket.grads.div_(divisor);
            const auto flags
                = bucket.flat.narrow(0, bucket.flagsAt, std::int64_t(bucket.slots.size()));
            const auto used = flags.gt(0).to(torch::kCPU);
            const auto *usedAt = used.data_ptr<bool>();
            for (std::size_t k = 0; k < bucket.slots.size(); ++k) {
                auto &slot = m_slots[bucket.slots[k]];
                if (!usedAt[k])
                    continue; // no rank had a gradient: .grad stays as single-process leaves it
                auto reduced = bucket.grads.narrow(0, slot.offset, slot.param.numel())
                                   .view(slot.param.sizes());
                auto &grad = slot.param.mutable_grad();
                if (grad.defined())
                    grad.copy_(reduced);
                else
                    grad = reduced.clone(at::MemoryFormat::Preserve)
                               .contiguous(slot.param.suggest_memory_format());
            }
        }
    } catch (const std::exception &e) {
        return fail(ErrorCode::Training,
                    "writing the reduced gradients failed: " + util::describe(e), "data parallel");
    }
    return {};
}

} // namespace lathe::dist
