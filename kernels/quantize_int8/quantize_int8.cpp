// int8 quantisation: argument checks and the dispatch by device.
#include "kernels/quantize_int8/quantize_int8.h"

#include "kernels/common/cuda_dispatch.h"
#include "kernels/quantize_int8/quantize_int8_cuda.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>

namespace lathe::kernels {

namespace detail {

Result<std::int64_t> checkQuantize(const at::Tensor &weights, std::int64_t axis)
{
    if (!weights.defined() || weights.scalar_type() != at::kFloat || weights.dim() == 0)
        return fail(ErrorCode::InvalidArgument,
                    "int8 quantisation needs a float32 tensor with at least one dimension");
    const std::int64_t dim = weights.dim();
    if (axis < -dim || axis >= dim)
        return fail(ErrorCode::InvalidArgument,
                    "axis " + std::to_string(axis) + " is outside the weights' "
                        + std::to_string(dim) + " dimensions",
                    "axis");
    return axis < 0 ? axis + dim : axis;
}

Result<void> checkDequantize(const QuantizedInt8 &q)
{
    if (!q.values.defined() || q.values.scalar_type() != at::kChar || q.values.dim() == 0)
        return fail(ErrorCode::InvalidArgument, "values must be an int8 tensor", "values");
    if (q.axis < 0 || q.axis >= q.values.dim())
        return fail(ErrorCode::InvalidArgument, "axis outside the values' dimensions", "axis");
    if (!q.scales.defined() || q.scales.scalar_type() != at::kFloat || q.scales.dim() != 1
        || q.scales.size(0) != q.values.size(q.axis) || q.scales.device() != q.values.device())
        return fail(ErrorCode::InvalidArgument,
                    "scales must be float32 [channels] on the values' device", "scales");
    return {};
}

} // namespace detail

#if LATHE_KERNELS_TORCH_CUDA
namespace {

struct Shape3
{
    std::int64_t outer = 1, channels = 1, inner = 1;
};

Shape3 cudaShapeAround(const at::Tensor &t, std::int64_t axis)
{
    Shape3 s;
    for (std::int64_t d = 0; d < axis; ++d)
        s.outer *= t.size(d);
    s.channels = t.size(axis);
    for (std::int64_t d = axis + 1; d < t.dim(); ++d)
        s.inner *= t.size(d);
    return s;
}

Result<QuantizedInt8> quantizeInt8Cuda(const at::Tensor &weights, std::int64_t axis)
{
    auto checked = detail::checkQuantize(weights, axis);
    if (!checked)
        return std::unexpected(checked.error());
    const c10::cuda::CUDAGuard guard(weights.device());
    const at::Tensor w = weights.contiguous();
    const Shape3 s = cudaShapeAround(w, *checked);
    at::Tensor scales = at::empty({s.channels}, w.options());
    at::Tensor values = at::empty(w.sizes(), w.options().dtype(at::kChar));
    at::Tensor bad = at::zeros({1}, w.options().dtype(at::kInt));
    if (auto st = quantizeInt8Kernel(w.data_ptr<float>(), s.outer, s.channels, s.inner,
                                     scales.data_ptr<float>(), values.data_ptr<std::int8_t>(),
                                     bad.data_ptr<int>(), detail::currentCudaStream());
        !st.ok())
        return fail(ErrorCode::Internal, st.error, "int8 quantisation (CUDA)");
    if (bad.item<int>() != 0)
        return fail(ErrorCode::InvalidArgument, "weights hold NaN or Inf; cannot quantise");
    return QuantizedInt8{values, scales, *checked};
}

Result<at::Tensor> dequantizeInt8Cuda(const QuantizedInt8 &q)
{
    if (auto ok = detail::checkDequantize(q); !ok)
        return std::unexpected(ok.error());
    const c10::cuda::CUDAGuard guard(q.values.device());
    const at::Tensor values = q.values.contiguous();
    const at::Tensor scales = q.scales.contiguous();
    const Shape3 s = cudaShapeAround(values, q.axis);
    at::Tensor out = at::empty(values.sizes(), values.options().dtype(at::kFloat));
    if (auto st = dequantizeInt8Kernel(values.data_ptr<std::int8_t>(), scales.data_ptr<float>(),
                                       s.outer, s.channels, s.inner, out.data_ptr<float>(),
                                       detail::currentCudaStream());
        !st.ok())
        return fail(ErrorCode::Internal, st.error, "int8 dequantisation (CUDA)");
    return out;
}

} // namespace
#endif

Result<QuantizedInt8> quantizeInt8(const at::Tensor &weights, std::int64_t axis)
{
    if (!weights.defined() || !weights.is_cuda())
        return quantizeInt8Cpu(weights, axis);
#if LATHE_KERNELS_TORCH_CUDA
    return quantizeInt8Cuda(weights, axis);
#else
    return std::unexpected(detail::noCudaError("int8 quantisation"));
#endif
}

Result<at::Tensor> dequantizeInt8(const QuantizedInt8 &quantized)
{
    if (!quantized.values.defined() || !quantized.values.is_cuda())
        return dequantizeInt8Cpu(quantized);
#if LATHE_KERNELS_TORCH_CUDA
    return dequantizeInt8Cuda(quantized);
#else
    return std::unexpected(detail::noCudaError("int8 dequantisation"));
#endif
}

} // namespace lathe::kernels
