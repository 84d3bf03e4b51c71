// Fused Adam / AdamW, CPU reference and production CPU path.
//
// Maths (per element, parameter p, gradient g, moments m and v, step t, all float32):
//   c   = min(maxNorm / (||g_all||_2 + 1e-6), 1) when clipping, else 1;   g <- c * g
//   AdamW: p <- p * (1 - lr*wd)            Adam: g <- g + wd * p
//   m <- beta1*m + (1-beta1)*g;  v <- beta2*v + (1-beta2)*g*g
//   p <- p - (lr / (1-beta1^t)) * m / (sqrt(v) / sqrt(1-beta2^t) + eps)
// in the operation order torch::optim uses, so results match it to float rounding.
// Layout: any dense tensor, processed in storage order (param, grad and moments must share
// strides; otherwise contiguous copies are stepped and written back). Work is split into
// chunks of kCpuChunk elements across all parameters, run by at::parallel_for.
// Test tolerance (tst_fused_adamw): atol 1e-6 + rtol 1e-5 against torch::optim after 5 steps.
#include "kernels/fused_adamw/fused_adamw.h"

#include "kernels/common/cpu_vector.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty_like.h>

#include <cmath>

namespace lathe::kernels {

namespace {

using detail::kCpuChunk;

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

struct Chunk
{
    std::int64_t slice;
    std::int64_t offset;
    std::int64_t length;
};

struct Scalars
{
    float beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, weightDecay, decay, gradScale;
};

template<bool kDecoupled>
LATHE_VECTOR_CLONES void stepRange(const Slice &s, std::int64_t begin, std::int64_t end,
                                   const Scalars &k)
{
    float *__restrict p = s.param;
    const float *__restrict g = s.grad;
    float *__restrict m = s.expAvg;
    float *__restrict v = s.expAvgSq;
    const float negStep = -s.stepSize;
#pragma omp simd
    for (std::int64_t i = begin; i < end; ++i) {
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

std::vector<Chunk> chunksOf(const std::vector<Slice> &slices)
{
    std::vector<Chunk> chunks;
    for (std::size_t s = 0; s < slices.size(); ++s)
        for (std::int64_t at = 0; at < slices[s].numel; at += kCpuChunk)
            chunks.push_back({std::int64_t(s), at, std::min(kCpuChunk, slices[s].numel - at)});
    return chunks;
}

double globalGradNorm(const std::vector<Slice> &slices, const std::vector<Chunk> &chunks)
{
    const double total = at::parallel_reduce(
        0, std::int64_t(chunks.size()), 1, 0.0,
        [&](std::int64_t begin, std::int64_t end, double partial) {
            for (std::int64_t c = begin; c < end; ++c) {
                const Chunk &chunk = chunks[std::size_t(c)];
                partial += sumSquares(slices[std::size_t(chunk.slice)].grad + chunk.offset,
                                      chunk.length);
            }
            return partial;
        },
        [](double a, double b) { return a + b; });
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
    std::vector<Staged> staged;
    std::vector<Slice> slices;
    for (std::size_t i = 0; i < t.params.size(); ++i) {
        if (t.params[i].device().type() != c10::kCPU)
            return fail(ErrorCode::InvalidArgument, "fusedAdamWCpu needs CPU tensors",
                        "parameter " + std::to_string(i));
        staged.push_back(stage(t, i));
        const auto &s = staged.back();
        const double step = double(t.steps[i]);
        slices.push_back({s.param.data_ptr<float>(), s.grad.data_ptr<float>(),
                          s.expAvg.data_ptr<float>(), s.expAvgSq.data_ptr<float>(),
                          s.param.numel(), float(h.lr / (1.0 - std::pow(h.beta1, step))),
                          float(std::sqrt(1.0 - std::pow(h.beta2, step)))});
    }
    const auto chunks = chunksOf(slices);
    double norm = 0.0;
    float scale = 1.0f;
    if (h.maxGradNorm > 0.0) {
        norm = globalGradNorm(slices, chunks);
        if (!std::isfinite(norm))
            return norm;
        // clip_grad_norm_ computes the coefficient in float32 and clamps it at 1.
        scale = std::min(float(h.maxGradNorm) / (float(norm) + 1e-6f), 1.0f);
    }
    const Scalars k{float(h.beta1),       float(h.beta2), float(1.0 - h.beta1),
                    float(1.0 - h.beta2), float(h.eps),   float(h.weightDecay),
                    float(1.0 - h.lr * h.weightDecay),    scale};
    at::parallel_for(0, std::int64_t(chunks.size()), 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t c = begin; c < end; ++c) {
            const Chunk &chunk = chunks[std::size_t(c)];
            const Slice &slice = slices[std::size_t(chunk.slice)];
            if (h.decoupled)
                stepRange<true>(slice, chunk.offset, chunk.offset + chunk.length, k);
            else
                stepRange<false>(slice, chunk.offset, chunk.offset + chunk.length, k);
        }
    });
    for (std::size_t i = 0; i < staged.size(); ++i) {
        if (!staged[i].copied)
            continue;
        t.params[i].copy_(staged[i].param);
        t.expAvg[i].copy_(staged[i].expAvg);
        t.expAvgSq[i].copy_(staged[i].expAvgSq);
    }
    return norm;
}

} // namespace lathe::kernels
