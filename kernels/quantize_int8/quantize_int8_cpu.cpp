// int8 per-channel symmetric quantisation, CPU reference and production CPU path.
//
// Maths, channel c of weights w: scale_c = max|w_c| / 127 (1 when the channel is all zero),
// q = clamp(round-half-even(w / scale_c), -127, 127); dequantised w' = q * scale_c, so
// |w - w'| <= scale_c / 2. The division (not a multiplication by 1/scale) matches LibTorch's
// (w / scale).round() bit for bit.
// Layout: the weights made contiguous and viewed as [outer, channels, inner] with the channel
// axis in the middle; values come back in the weights' shape, contiguous. Channels run in
// parallel for the scales, (outer, channel) rows in parallel for the values; rows vectorised.
// Test tolerance (tst_quantize_int8): scales atol 0 + rtol 1e-6, values equal.
#include "kernels/quantize_int8/quantize_int8.h"

#include "kernels/common/cpu_vector.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>

#include <cmath>
#include <limits>

namespace lathe::kernels {

namespace {

struct Shape3
{
    std::int64_t outer, channels, inner;
};

Shape3 shapeAround(const at::Tensor &t, std::int64_t axis)
{
    std::int64_t outer = 1, inner = 1;
    for (std::int64_t d = 0; d < axis; ++d)
        outer *= t.size(d);
    for (std::int64_t d = axis + 1; d < t.dim(); ++d)
        inner *= t.size(d);
    return {outer, t.size(axis), inner};
}

/// max |x| of a row, and whether every element is finite.
LATHE_VECTOR_CLONES float maxAbs(const float *__restrict x, std::int64_t n, bool &finite)
{
    float top = 0.0f;
    int bad = 0;
#pragma omp simd reduction(max : top) reduction(+ : bad)
    for (std::int64_t i = 0; i < n; ++i) {
        const float a = std::abs(x[i]);
        bad += a <= std::numeric_limits<float>::max() ? 0 : 1;
        top = a > top ? a : top;
    }
    finite = bad == 0;
    return top;
}

LATHE_VECTOR_CLONES void quantizeRow(const float *__restrict x, std::int64_t n, float scale,
                                     std::int8_t *__restrict q)
{
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) {
        float v = __builtin_roundevenf(x[i] / scale);
        v = v < -127.0f ? -127.0f : (v > 127.0f ? 127.0f : v);
        q[i] = std::int8_t(v);
    }
}

LATHE_VECTOR_CLONES void dequantizeRow(const std::int8_t *__restrict q, std::int64_t n, float scale,
                                       float *__restrict x)
{
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i)
        x[i] = float(q[i]) * scale;
}

} // namespace

Result<QuantizedInt8> quantizeInt8Cpu(const at::Tensor &weights, std::int64_t axis)
{
    auto checked = detail::checkQuantize(weights, axis);
    if (!checked)
        return std::unexpected(checked.error());
    if (!weights.device().is_cpu())
        return fail(ErrorCode::InvalidArgument, "quantizeInt8Cpu needs a CPU tensor");
    const at::Tensor w = weights.contiguous();
    const Shape3 s = shapeAround(w, *checked);
    at::Tensor scales = at::empty({s.channels}, w.options());
    at::Tensor values = at::empty(w.sizes(), w.options().dtype(at::kChar));
    const float *x = w.data_ptr<float>();
    float *scale = scales.data_ptr<float>();
    std::vector<char> finite(std::size_t(s.channels), 1);
    at::parallel_for(0, s.channels, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t c = begin; c < end; ++c) {
            float top = 0.0f;
            for (std::int64_t o = 0; o < s.outer; ++o) {
                bool ok = true;
                top = std::max(top, maxAbs(x + (o * s.channels + c) * s.inner, s.inner, ok));
                finite[std::size_t(c)] &= ok ? 1 : 0;
            }
            scale[c] = top > 0.0f ? top / 127.0f : 1.0f;
        }
    });
    for (std::int64_t c = 0; c < s.channels; ++c)
        if (!finite[std::size_t(c)])
            return fail(ErrorCode::InvalidArgument, "weights hold NaN or Inf; cannot quantise",
                        "channel " + std::to_string(c));
    std::int8_t *q = values.data_ptr<std::int8_t>();
    const std::int64_t grain
        = std::max<std::int64_t>(1, detail::kCpuChunk / std::max<std::int64_t>(1, s.inner));
    at::parallel_for(0, s.outer * s.channels, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row)
            quantizeRow(x + row * s.inner, s.inner, scale[row % s.channels], q + row * s.inner);
    });
    return QuantizedInt8{values, scales, *checked};
}

Result<at::Tensor> dequantizeInt8Cpu(const QuantizedInt8 &quantized)
{
    if (auto ok = detail::checkDequantize(quantized); !ok)
        return std::unexpected(ok.error());
    if (!quantized.values.device().is_cpu())
        return fail(ErrorCode::InvalidArgument, "dequantizeInt8Cpu needs CPU tensors");
    const at::Tensor q = quantized.values.contiguous();
    const at::Tensor scales = quantized.scales.contiguous();
    const Shape3 s = shapeAround(q, quantized.axis);
    at::Tensor out = at::empty(q.sizes(), q.options().dtype(at::kFloat));
    const std::int8_t *in = q.data_ptr<std::int8_t>();
    const float *scale = scales.data_ptr<float>();
    float *x = out.data_ptr<float>();
    const std::int64_t grain
        = std::max<std::int64_t>(1, detail::kCpuChunk / std::max<std::int64_t>(1, s.inner));
    at::parallel_for(0, s.outer * s.channels, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row)
            dequantizeRow(in + row * s.inner, s.inner, scale[row % s.channels], x + row * s.inner);
    });
    return out;
}

} // namespace lathe::kernels
