// Histogram of a tensor into B equal bins between min and max (the histograms view's data).
#pragma once

#include "base/error.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>

namespace lathe::kernels {

/// Counts of one histogram and the range they cover.
struct Histogram
{
    at::Tensor counts;           ///< [bins] int64, on the input's device
    double min = 0.0, max = 0.0; ///< the range actually used
    std::int64_t nonFinite = 0;  ///< NaN and +-Inf elements, never counted in a bin
};

/// Counts the elements of `x` (any shape, strides and floating dtype; counted in float32) into
/// `bins` equal bins over [min, max] exactly as torch::histc does: bin
/// int((v - min) / (max - min) * bins) in float32, v == max in the last bin, values outside
/// dropped. Without a range (both unset) the finite min and max of `x` are used; an empty range
/// (min == max) is widened to [min - 1, max + 1] (as histc). Unlike histc, NaN and Inf are never
/// counted (they are reported in nonFinite).
/// Errors (InvalidArgument): bins < 1, only one of min/max given, min > max or non-finite,
/// a non-floating dtype, CUDA tensors in a build without CUDA. Thread-safety: pure function.
Result<Histogram> histogram(const at::Tensor &x, std::int64_t bins,
                            std::optional<double> min = std::nullopt,
                            std::optional<double> max = std::nullopt);

/// The CPU reference (also the production CPU path): per-thread partial counts merged at the
/// end (at::parallel_for), vectorised bin index computation. Same contract for CPU tensors.
Result<Histogram> histogramCpu(const at::Tensor &x, std::int64_t bins,
                               std::optional<double> min = std::nullopt,
                               std::optional<double> max = std::nullopt);

namespace detail {
/// The argument checks histogram() documents.
Result<void> checkHistogram(const at::Tensor &x, std::int64_t bins, std::optional<double> min,
                            std::optional<double> max);
} // namespace detail

} // namespace lathe::kernels
