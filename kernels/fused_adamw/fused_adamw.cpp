// Fused Adam / AdamW: argument checks and the dispatch by device (CPU reference or CUDA).
#include "kernels/fused_adamw/fused_adamw.h"

#include "kernels/common/cuda_dispatch.h"
#include "kernels/fused_adamw/fused_adamw_cuda.h"

#include <cmath>
#include <string>

namespace lathe::kernels {

namespace detail {

namespace {

Result<void> checkOne(const AdamWTensors &t, std::size_t i)
{
    // Built only on failure: this runs for every parameter on every training step.
    const auto where = [i] { return "parameter " + std::to_string(i); };
    const at::Tensor *all[] = {&t.params[i], &t.grads[i], &t.expAvg[i], &t.expAvgSq[i]};
    for (const at::Tensor *x : all) {
        if (!x->defined())
            return fail(ErrorCode::InvalidArgument, "undefined tensor (no gradient?)", where());
        if (x->scalar_type() != at::kFloat)
            return fail(ErrorCode::InvalidArgument,
                        std::string("fused Adam needs float32 tensors, got ")
                            + c10::toString(x->scalar_type()),
                        where());
        if (x->sizes() != t.params[i].sizes() || x->device() != t.params[0].device())
            return fail(ErrorCode::InvalidArgument,
                        "gradient and moments must have the parameter's shape and device",
                        where());
    }
    if (t.steps[i] < 1)
        return fail(ErrorCode::InvalidArgument, "step counts start at 1", where());
    return {};
}

} // namespace

Result<void> checkAdamW(const AdamWTensors &t, const AdamWHyper &h)
{
    const std::size_t n = t.params.size();
    if (t.grads.size() != n || t.expAvg.size() != n || t.expAvgSq.size() != n
        || t.steps.size() != n)
        return fail(ErrorCode::InvalidArgument,
                    "params, grads, expAvg, expAvgSq and steps must have the same length");
    const double values[] = {h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.maxGradNorm};
    for (double value : values)
        if (!std::isfinite(value))
            return fail(ErrorCode::InvalidArgument, "non-finite Adam hyperparameter");
    if (h.beta1 < 0.0 || h.beta1 >= 1.0 || h.beta2 < 0.0 || h.beta2 >= 1.0 || h.maxGradNorm < 0.0)
        return fail(ErrorCode::InvalidArgument,
                    "expected 0 <= beta1, beta2 < 1 and maxGradNorm >= 0");
    for (std::size_t i = 0; i < n; ++i)
        if (auto ok = checkOne(t, i); !ok)
            return ok;
    return {};
}

} // namespace detail

#if LATHE_KERNELS_TORCH_CUDA
namespace {

Result<double> fusedAdamWCuda(const AdamWTensors &t, const AdamWHyper &h)
{
    if (auto ok = detail::checkAdamW(t, h); !ok)
        return std::unexpected(ok.error());
    const c10::cuda::CUDAGuard guard(t.params.front().device());
    std::vector<AdamWKernelTensor> list;
    for (std::size_t i = 0; i < t.params.size(); ++i) {
        const auto strides = t.params[i].strides();
        if (!t.params[i].is_non_overlapping_and_dense() || t.grads[i].strides() != strides
            || t.expAvg[i].strides() != strides || t.expAvgSq[i].strides() != strides)
            return fail(ErrorCode::InvalidArgument,
                        "the CUDA fused Adam needs dense tensors with the parameter's strides",
                        "parameter " + std::to_string(i));
        const double step = double(t.steps[i]);
        list.push_back({t.params[i].data_ptr<float>(), t.grads[i].data_ptr<float>(),
                        t.expAvg[i].data_ptr<float>(), t.expAvgSq[i].data_ptr<float>(),
                        t.params[i].numel(), float(h.lr / (1.0 - std::pow(h.beta1, step))),
                        float(std::sqrt(1.0 - std::pow(h.beta2, step)))});
    }
    const CudaStream stream = detail::currentCudaStream();
    double norm = 0.0;
    float scale = 1.0f;
    if (h.maxGradNorm > 0.0) {
        double squares = 0.0;
        if (auto s = adamWGradSquaresKernel(list.data(), int(list.size()), &squares, stream);
            !s.ok())
            return fail(ErrorCode::Internal, s.error, "fused Adam (CUDA)");
        norm = std::sqrt(squares);
        if (!std::isfinite(norm))
            return norm;
        scale = std::min(float(h.maxGradNorm) / (float(norm) + 1e-6f), 1.0f);
    }
    const AdamWKernelScalars k{float(h.beta1), float(h.beta2), float(h.eps), float(h.weightDecay),
                               float(1.0 - h.lr * h.weightDecay), h.decoupled, scale};
    if (auto s = fusedAdamWKernel(list.data(), int(list.size()), k, stream); !s.ok())
        return fail(ErrorCode::Internal, s.error, "fused Adam (CUDA)");
    return norm;
}

} // namespace
#endif

Result<double> fusedAdamW(const AdamWTensors &t, const AdamWHyper &h)
{
    if (t.params.empty() || !t.params.front().defined() || !t.params.front().is_cuda())
        return fusedAdamWCpu(t, h);
#if LATHE_KERNELS_TORCH_CUDA
    return fusedAdamWCuda(t, h);
#else
    return std::unexpected(detail::noCudaError("fused Adam"));
#endif
}

} // namespace lathe::kernels
