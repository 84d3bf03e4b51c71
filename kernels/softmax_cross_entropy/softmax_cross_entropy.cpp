// Fused softmax cross-entropy: argument checks and the dispatch by device.
#include "kernels/softmax_cross_entropy/softmax_cross_entropy.h"

#include "kernels/common/cuda_dispatch.h"
#include "kernels/softmax_cross_entropy/softmax_cross_entropy_cuda.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>

namespace lathe::kernels {

namespace detail {

Result<void> checkSoftmaxCrossEntropy(const at::Tensor &logits, const at::Tensor &targets,
                                      double labelSmoothing)
{
    if (!logits.defined() || !targets.defined())
        return fail(ErrorCode::InvalidArgument, "undefined logits or targets");
    if (logits.dim() != 2 || logits.scalar_type() != at::kFloat)
        return fail(ErrorCode::InvalidArgument, "logits must be a [N, C] float32 tensor",
                    "logits");
    if (targets.dim() != 1 || targets.scalar_type() != at::kLong
        || targets.size(0) != logits.size(0))
        return fail(ErrorCode::InvalidArgument,
                    "targets must be [N] int64 with one class index per row of logits",
                    "targets");
    if (logits.device() != targets.device())
        return fail(ErrorCode::InvalidArgument, "logits and targets are on different devices");
    if (logits.size(1) == 0 && logits.size(0) > 0)
        return fail(ErrorCode::InvalidArgument, "logits have no classes", "logits");
    if (!(labelSmoothing >= 0.0 && labelSmoothing < 1.0))
        return fail(ErrorCode::InvalidArgument, "label smoothing must be in [0, 1)",
                    "labelSmoothing");
    return {};
}

} // namespace detail

#if LATHE_KERNELS_TORCH_CUDA
namespace {

Result<SoftmaxCrossEntropy> softmaxCrossEntropyCuda(const at::Tensor &logits,
                                                    const at::Tensor &targets,
                                                    double labelSmoothing, double gradScale)
{
    if (auto ok = detail::checkSoftmaxCrossEntropy(logits, targets, labelSmoothing); !ok)
        return std::unexpected(ok.error());
    const c10::cuda::CUDAGuard guard(logits.device());
    const at::Tensor z = logits.stride(1) == 1 ? logits : logits.contiguous();
    const at::Tensor y = targets.contiguous();
    const std::int64_t rows = z.size(0), classes = z.size(1);
    at::Tensor grad = at::empty({rows, classes}, z.options());
    at::Tensor rowLoss = at::empty({rows}, z.options());
    at::Tensor bad = at::zeros({1}, z.options().dtype(at::kInt));
    const auto status = softmaxCrossEntropyKernel(
        z.data_ptr<float>(), y.data_ptr<std::int64_t>(), rows, classes, z.stride(0),
        float(labelSmoothing), float(gradScale), grad.data_ptr<float>(),
        rowLoss.data_ptr<float>(), bad.data_ptr<int>(), detail::currentCudaStream());
    if (!status.ok())
        return fail(ErrorCode::Internal, status.error, "softmax cross-entropy (CUDA)");
    if (bad.item<int>() != 0)
        return fail(ErrorCode::InvalidArgument, "a target is not a class index in [0, "
                                                    + std::to_string(classes) + ")",
                    "targets");
    return SoftmaxCrossEntropy{rowLoss.mean(), grad};
}

} // namespace
#endif

Result<SoftmaxCrossEntropy> softmaxCrossEntropy(const at::Tensor &logits,
                                                const at::Tensor &targets,
                                                double labelSmoothing, double gradScale)
{
    if (!logits.defined() || !logits.is_cuda())
        return softmaxCrossEntropyCpu(logits, targets, labelSmoothing, gradScale);
#if LATHE_KERNELS_TORCH_CUDA
    return softmaxCrossEntropyCuda(logits, targets, labelSmoothing, gradScale);
#else
    return std::unexpected(detail::noCudaError("softmax cross-entropy"));
#endif
}

} // namespace lathe::kernels
