// Histogram: argument checks and the dispatch by device.
#include "kernels/histogram/histogram.h"

#include "kernels/common/cuda_dispatch.h"
#include "kernels/histogram/histogram_cuda.h"

#include <ATen/ops/zeros.h>

#include <cmath>

namespace lathe::kernels {

namespace detail {

Result<void> checkHistogram(const at::Tensor &x, std::int64_t bins, std::optional<double> min,
                            std::optional<double> max)
{
    if (!x.defined() || !x.is_floating_point())
        return fail(ErrorCode::InvalidArgument, "histogram needs a floating-point tensor");
    if (bins < 1 || bins > (std::int64_t(1) << 24))
        return fail(ErrorCode::InvalidArgument, "bins must be in [1, 2^24]", "bins");
    if (min.has_value() != max.has_value())
        return fail(ErrorCode::InvalidArgument, "give both min and max, or neither", "range");
    if (min && (!std::isfinite(*min) || !std::isfinite(*max) || *min > *max))
        return fail(ErrorCode::InvalidArgument, "expected finite min <= max", "range");
    return {};
}

} // namespace detail

#if LATHE_KERNELS_TORCH_CUDA
namespace {

Result<Histogram> histogramCuda(const at::Tensor &x, std::int64_t bins,
                                std::optional<double> min, std::optional<double> max)
{
    if (auto ok = detail::checkHistogram(x, bins, min, max); !ok)
        return std::unexpected(ok.error());
    const c10::cuda::CUDAGuard guard(x.device());
    const at::Tensor values = x.to(at::kFloat).contiguous();
    const CudaStream stream = detail::currentCudaStream();
    float lo = 0.0f, hi = 0.0f;
    std::int64_t nonFinite = 0;
    if (auto s = finiteRangeKernel(values.data_ptr<float>(), values.numel(), &lo, &hi,
                                   &nonFinite, stream);
        !s.ok())
        return fail(ErrorCode::Internal, s.error, "histogram (CUDA)");
    double from = min ? *min : (lo <= hi ? lo : 0.0);
    double to = max ? *max : (lo <= hi ? hi : 0.0);
    if (from == to) {
        from -= 1.0;
        to += 1.0;
    }
    at::Tensor counts = at::zeros({bins}, values.options().dtype(at::kLong));
    if (auto s = histogramKernel(values.data_ptr<float>(), values.numel(), float(from),
                                 float(to), bins, counts.data_ptr<std::int64_t>(), stream);
        !s.ok())
        return fail(ErrorCode::Internal, s.error, "histogram (CUDA)");
    return Histogram{counts, from, to, nonFinite};
}

} // namespace
#endif

Result<Histogram> histogram(const at::Tensor &x, std::int64_t bins, std::optional<double> min,
                            std::optional<double> max)
{
    if (!x.defined() || !x.is_cuda())
        return histogramCpu(x, bins, min, max);
#if LATHE_KERNELS_TORCH_CUDA
    return histogramCuda(x, bins, min, max);
#else
    return std::unexpected(detail::noCudaError("histogram"));
#endif
}

} // namespace lathe::kernels
