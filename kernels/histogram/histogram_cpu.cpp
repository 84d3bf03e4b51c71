// Histogram, CPU reference and production CPU path.
//
// Maths: element v goes to bin int((v - min) / (max - min) * B) computed in float32 (v == max
// to B-1), LibTorch's histc formula to the rounding; v outside [min, max], NaN and Inf are not
// counted.
// Layout: any tensor, made contiguous float32. The elements are split into a few tasks per
// thread (at::parallel_for); each task fills its own counts, merged at the end. Bin indices are
// computed in vectorised blocks, the increments are scalar.
// Test tolerance (tst_histogram): counts equal to torch::histc exactly.
#include "kernels/histogram/histogram.h"

#include "kernels/common/cpu_vector.h"

#include <ATen/Parallel.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/zeros.h>

#include <cmath>
#include <limits>

namespace lathe::kernels {

namespace {

constexpr std::int64_t kBlock = 256;

struct FiniteRange
{
    float min = std::numeric_limits<float>::infinity();
    float max = -std::numeric_limits<float>::infinity();
    std::int64_t nonFinite = 0;
};

LATHE_VECTOR_CLONES FiniteRange rangeOf(const float *__restrict x, std::int64_t n)
{
    FiniteRange r;
    float lo = r.min, hi = r.max;
    std::int64_t bad = 0;
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : bad)
    for (std::int64_t i = 0; i < n; ++i) {
        const bool finite = std::abs(x[i]) <= std::numeric_limits<float>::max();
        lo = finite && x[i] < lo ? x[i] : lo;
        hi = finite && x[i] > hi ? x[i] : hi;
        bad += finite ? 0 : 1;
    }
    return {lo, hi, bad};
}

/// Bins of one block, -1 for elements that are not counted.
LATHE_VECTOR_CLONES void binsOf(const float *__restrict x, std::int64_t n, float lo, float hi,
                                std::int32_t bins, std::int32_t *__restrict out)
{
    const float width = hi - lo;
    const float count = float(bins);
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        const bool inside = v >= lo && v <= hi;
        const float position = inside ? (width > 0.0f ? (v - lo) / width * count : 0.0f) : -1.0f;
        const std::int32_t b = std::int32_t(position);
        out[i] = b >= bins ? bins - 1 : b;
    }
}

void countRange(const float *x, std::int64_t n, float lo, float hi, std::int32_t bins,
                std::int64_t *counts)
{
    std::int32_t bin[kBlock];
    for (std::int64_t start = 0; start < n; start += kBlock) {
        const std::int64_t len = std::min(kBlock, n - start);
        binsOf(x + start, len, lo, hi, bins, bin);
        for (std::int64_t i = 0; i < len; ++i)
            if (bin[i] >= 0)
                ++counts[bin[i]];
    }
}

/// Splits [0, n) into about four tasks per thread.
std::int64_t histogramTaskCount(std::int64_t n)
{
    const std::int64_t byThreads = 4 * std::int64_t(at::get_num_threads());
    return std::max<std::int64_t>(1, std::min(byThreads, n / detail::kCpuChunk + 1));
}

} // namespace

Result<Histogram> histogramCpu(const at::Tensor &x, std::int64_t bins, std::optional<double> min,
                               std::optional<double> max)
{
    if (auto ok = detail::checkHistogram(x, bins, min, max); !ok)
        return std::unexpected(ok.error());
    if (!x.device().is_cpu())
        return fail(ErrorCode::InvalidArgument, "histogramCpu needs a CPU tensor");
    const at::Tensor values = x.to(at::kFloat).contiguous();
    const float *data = values.data_ptr<float>();
    const std::int64_t n = values.numel();
    const std::int64_t tasks = histogramTaskCount(n);
    const std::int64_t perTask = (n + tasks - 1) / tasks;
    std::vector<FiniteRange> ranges(static_cast<std::size_t>(tasks));
    at::parallel_for(0, tasks, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t t = begin; t < end; ++t) {
            const std::int64_t from = std::min(n, t * perTask);
            ranges[std::size_t(t)] = rangeOf(data + from, std::min(n, from + perTask) - from);
        }
    });
    FiniteRange all;
    for (const auto &r : ranges) {
        all.min = std::min(all.min, r.min);
        all.max = std::max(all.max, r.max);
        all.nonFinite += r.nonFinite;
    }
    double lo = min ? *min : (all.min <= all.max ? all.min : 0.0);
    double hi = max ? *max : (all.min <= all.max ? all.max : 0.0);
    if (lo == hi) {
        lo -= 1.0;
        hi += 1.0;
    }
    std::vector<std::int64_t> partial(std::size_t(tasks * bins), 0);
    at::parallel_for(0, tasks, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t t = begin; t < end; ++t) {
            const std::int64_t from = std::min(n, t * perTask);
            countRange(data + from, std::min(n, from + perTask) - from, float(lo), float(hi),
                       std::int32_t(bins), partial.data() + t * bins);
        }
    });
    at::Tensor counts = at::zeros({bins}, values.options().dtype(at::kLong));
    std::int64_t *out = counts.data_ptr<std::int64_t>();
    for (std::int64_t t = 0; t < tasks; ++t)
        for (std::int64_t b = 0; b < bins; ++b)
            out[b] += partial[std::size_t(t * bins + b)];
    return Histogram{counts, lo, hi, all.nonFinite};
}

} // namespace lathe::kernels
