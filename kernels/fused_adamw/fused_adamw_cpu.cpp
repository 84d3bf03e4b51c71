// Fused Adam / AdamW, CPU reference and production CPU path.
//
// Maths (per element, parameter p, gradient g, moments m and v, step t, all float32):
//   c   = min(maxNorm / (||g_all||_2 + 1e-6), 1) when clipping, else 1;   g <- c * g
//   AdamW: p <- p * (1 - lr*wd)            Adam: g <- g + wd * p
//   m <- beta1*m + (1-beta1)*g;  v <- beta2*v + (1-beta2)*g*g
//   p <- p - (lr / (1-beta1^t)) * m / (sqrt(v) / sqrt(1-beta2^t) + eps)
// in the operation order torch::optim uses, so results match it to float rounding.
// Layout: any dense tensor, processed in storage order (param, grad and moments must share
// strides; otherwise contiguous copies are stepped and written back). All parameters are laid
// end to end in one flat element space, split into equal parts, one per thread (at::parallel_for),
// none under kMinTaskElements: a small model (cnn, 61k floats) is stepped inline, since waking
// the OpenMP team costs more than the whole step.
// Test tolerance (tst_fused_adamw): atol 1e-6 + rtol 1e-5 against torch::optim after 5 steps.
#include "kernels/fused_adamw/fused_adamw.h"

#include "kernels/common/cpu_vector.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty_like.h>

#include <algorithm>
#include <cmath>

namespace lathe::kernels {

namespace {

struct Slice
{
    float *param;
    const float *grad;
    float *expAvg;
    float *expAvgSq;
    std::int64_t numel;
    float stepSize;
    float bc2Sqrt;
};

struct Scalars
{
    float beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, weightDecay, decay, gradScale;
};

/// Elements [begin, end) of one parameter: four lanes at a time (explicit SSE vectors: with
/// std::sqrt's errno the auto-vectoriser leaves this loop scalar), then a scalar tail, both in
/// torch::optim's operation order.
template<bool kDecoupled>
LATHE_VECTOR_CLONES void stepRange(const Slice &s, std::int64_t begin, std::int64_t end,
                                   const Scalars &k)
{
    using detail::Float4;
    float *__restrict p = s.param;
    const float *__restrict g = s.grad;
    float *__restrict m = s.expAvg;
    float *__restrict v = s.expAvgSq;
    const float negStep = -s.stepSize;
    std::int64_t i = begin;
    for (; i + 4 <= end; i += 4) {
        Float4 grad = detail::load4(g + i) * k.gradScale;
        Float4 param = detail::load4(p + i);
        if constexpr (kDecoupled)
            param = param * k.decay;
        else
            grad = grad + k.weightDecay * param;
        const Float4 mi = detail::load4(m + i) * k.beta1 + k.oneMinusBeta1 * grad;
        const Float4 vi = detail::load4(v + i) * k.beta2 + k.oneMinusBeta2 * grad * grad;
        const Float4 denom = _mm_sqrt_ps(vi) / s.bc2Sqrt + k.eps;
        detail::store4(m + i, mi);
        detail::store4(v + i, vi);
        detail::store4(p + i, param + negStep * mi / denom);
    }
    for (; i < end; ++i) {
        float grad = g[i] * k.gradScale;
        float param = p[i];
        if constexpr (kDecoupled)
            param = param * k.decay;
        else
            grad = grad + k.weightDecay * param;
        const float mi = m[i] * k.beta1 + k.oneMinusBeta1 * grad;
        const float vi = v[i] * k.beta2 + k.oneMinusBeta2 * grad * grad;
        const float denom = std::sqrt(vi) / s.bc2Sqrt + k.eps;
        m[i] = mi;
        v[i] = vi;
        p[i] = param + negStep * mi / denom;
    }
}

LATHE_VECTOR_CLONES double sumSquares(const float *__restrict g, std::int64_t n)
{
    // Independent lanes: vectorises without reassociating, and bounds float accumulation error.
    constexpr int kLanes = 16;
    float lanes[kLanes] = {};
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int l = 0; l < kLanes; ++l)
            lanes[l] += g[i + l] * g[i + l];
    double total = 0.0;
    for (; i < n; ++i)
        total += double(g[i]) * double(g[i]);
    for (float lane : lanes)
        total += double(lane);
    return total;
}

/// The parameters laid end to end: element e of the flat space is element e - start[s] of the
/// slice s with start[s] <= e < start[s + 1].
struct FlatSpace
{
    std::vector<Slice> slices;
    std::vector<std::int64_t> start{0};

    std::int64_t total() const { return start.back(); }

    /// Calls f(slice, begin, end) for each piece of the flat range [from, to), in order.
    template<typename F>
    void forEachPiece(std::int64_t from, std::int64_t to, F &&f) const
    {
        auto s
            = std::size_t(std::upper_bound(start.begin(), start.end(), from) - start.begin()) - 1;
        for (; s < slices.size() && start[s] < to; ++s) {
            const std::int64_t begin = std::max(from, start[s]) - start[s];
            const std::int64_t end = std::min(to, start[s + 1]) - start[s];
            if (begin < end)
                f(slices[s], begin, end);
        }
    }
};

/// Number of equal parts of the flat space to run in parallel: one per thread, none smaller
/// than detail::kMinTaskElements (so small models run inline).
std::int64_t adamwTaskCount(std::int64_t total)
{
    return std::clamp<std::int64_t>(total / detail::kMinTaskElements, 1, at::get_num_threads());
}

/// Runs body(task, from, to) over `tasks` equal parts of [0, total): inline for one part.
template<typename F>
void forEachTask(std::int64_t total, std::int64_t tasks, F &&body)
{
    if (tasks <= 1) {
        body(std::int64_t(0), std::int64_t(0), total);
        return;
    }
    at::parallel_for(0, tasks, 1, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t task = first; task < last; ++task)
            body(task, total * task / tasks, total * (task + 1) / tasks);
    });
}

double globalGradNorm(const FlatSpace &space, std::int64_t tasks)
{
    std::vector<double> partial(std::size_t(tasks), 0.0);
    forEachTask(space.total(), tasks, [&](std::int64_t task, std::int64_t from, std::int64_t to) {
        double sum = 0.0;
        space.forEachPiece(from, to, [&](const Slice &s, std::int64_t begin, std::int64_t end) {
            sum += sumSquares(s.grad + begin, end - begin);
        });
        partial[std::size_t(task)] = sum;
    });
    double total = 0.0;
    for (double p : partial)
        total += p;
    return std::sqrt(total);
}

bool sameLayout(const at::Tensor &a, const at::Tensor &b)
{
    return a.strides() == b.strides() && a.is_non_overlapping_and_dense();
}

/// Dense working copies of parameter i's tensors when their layouts differ (rare: a
/// non-contiguous view); `writeBack` copies the results into the originals afterwards.
struct Staged
{
    at::Tensor param, grad, expAvg, expAvgSq;
    bool copied = false;
};

Staged stage(const AdamWTensors &t, std::size_t i)
{
    const auto &p = t.params[i];
    if (sameLayout(p, t.grads[i]) && sameLayout(p, t.expAvg[i]) && sameLayout(p, t.expAvgSq[i]))
        return {p, t.grads[i], t.expAvg[i], t.expAvgSq[i], false};
    return {p.contiguous(), t.grads[i].contiguous(), t.expAvg[i].contiguous(),
            t.expAvgSq[i].contiguous(), true};
}

} // namespace

Result<double> fusedAdamWCpu(const AdamWTensors &t, const AdamWHyper &h)
{
    if (auto ok = detail::checkAdamW(t, h); !ok)
        return std::unexpected(ok.error());
    std::vector<std::pair<std::size_t, Staged>> staged; // only the parameters that needed copies
    FlatSpace space;
    space.slices.reserve(t.params.size());
    space.start.reserve(t.params.size() + 1);
    for (std::size_t i = 0; i < t.params.size(); ++i) {
        if (t.params[i].device().type() != c10::kCPU)
            return fail(ErrorCode::InvalidArgument, "fusedAdamWCpu needs CPU tensors",
                        "parameter " + std::to_string(i));
        Staged s = stage(t, i);
        const double step = double(t.steps[i]);
        space.slices.push_back({s.param.data_ptr<float>(), s.grad.data_ptr<float>(),
                                s.expAvg.data_ptr<float>(), s.expAvgSq.data_ptr<float>(),
                                s.param.numel(), float(h.lr / (1.0 - std::pow(h.beta1, step))),
                                float(std::sqrt(1.0 - std::pow(h.beta2, step)))});
        space.start.push_back(space.start.back() + s.param.numel());
        if (s.copied)
            staged.emplace_back(i, std::move(s));
    }
    const std::int64_t tasks = adamwTaskCount(space.total());
    double norm = 0.0;
    float scale = 1.0f;
    if (h.maxGradNorm > 0.0) {
        norm = globalGradNorm(space, tasks);
        if (!std::isfinite(norm))
            return norm;
        // clip_grad_norm_ computes the coefficient in float32 and clamps it at 1.
        scale = std::min(float(h.maxGradNorm) / (float(norm) + 1e-6f), 1.0f);
    }
    const Scalars k{float(h.beta1),
                    float(h.beta2),
                    float(1.0 - h.beta1),
                    float(1.0 - h.beta2),
                    float(h.eps),
                    float(h.weightDecay),
                    float(1.0 - h.lr * h.weightDecay),
                    scale};
    forEachTask(space.total(), tasks, [&](std::int64_t, std::int64_t from, std::int64_t to) {
        space.forEachPiece(from, to, [&](const Slice &s, std::int64_t begin, std::int64_t end) {
            if (h.decoupled)
                stepRange<true>(s, begin, end, k);
            else
                stepRange<false>(s, begin, end, k);
        });
    });
    for (const auto &[i, s] : staged) {
        t.params[i].copy_(s.param);
        t.expAvg[i].copy_(s.expAvg);
        t.expAvgSq[i].copy_(s.expAvgSq);
    }
    return norm;
}

} // namespace lathe::kernels
