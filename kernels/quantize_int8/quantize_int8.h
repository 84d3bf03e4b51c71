// int8 per-channel symmetric quantisation of weights (what int8 export stores) and its inverse.
#pragma once

#include "base/error.h"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace lathe::kernels {

/// Quantised weights: values[..] = round(w / scale[c]) in [-127, 127] along `axis`.
struct QuantizedInt8
{
    at::Tensor values; ///< int8, the weight's shape, contiguous
    at::Tensor scales; ///< float32 [channels]: max |w| of the channel / 127 (1 when all zero)
    std::int64_t axis = 0;
};

/// Quantises `weights` (float32, any shape with dim >= 1, any strides) per channel along `axis`
/// (negative counts from the end): scale_c = max|w_c| / 127, q = clamp(round-half-even(w /
/// scale_c), -127, 127). Errors (InvalidArgument): a non-float32 or 0-dim tensor, a bad axis,
/// a NaN or Inf weight (names the channel), CUDA tensors in a build without CUDA.
/// Thread-safety: pure function.
Result<QuantizedInt8> quantizeInt8(const at::Tensor &weights, std::int64_t axis = 0);

/// values * scales along `axis` as float32 (the weights int8 export reloads).
/// Errors (InvalidArgument): values not int8, scales not float32 [values.size(axis)], bad axis.
Result<at::Tensor> dequantizeInt8(const QuantizedInt8 &quantized);

/// The CPU references (also the production CPU paths): channels in parallel, vectorised rows.
Result<QuantizedInt8> quantizeInt8Cpu(const at::Tensor &weights, std::int64_t axis = 0);
Result<at::Tensor> dequantizeInt8Cpu(const QuantizedInt8 &quantized);

namespace detail {
/// Checks the weights and normalises a negative axis; the value is the axis in [0, dim).
Result<std::int64_t> checkQuantize(const at::Tensor &weights, std::int64_t axis);
/// Checks a QuantizedInt8 for dequantisation.
Result<void> checkDequantize(const QuantizedInt8 &quantized);
} // namespace detail

} // namespace lathe::kernels
