// Fused softmax cross-entropy with label smoothing, CPU reference and production CPU path.
//
// Maths, per row z (C logits), target y, smoothing s, N rows, scale k:
//   m = max z;  S = sum exp(z - m);  lse = m + log S
//   loss_row = lse - (1-s) z_y - (s/C) sum z        (= -sum q log softmax z)
//   loss = mean(loss_row);  grad = k (exp(z - m)/S - q) / N,  q = (1-s) onehot(y) + s/C
// A row whose max is not finite (NaN, +Inf, or all -Inf) gets NaN loss and gradient, as
// LibTorch's log_softmax would. exp is detail::expApprox(4) (rel. error < 2e-7).
// Layout: logits [N, C] with unit column stride (others are made contiguous), grad [N, C]
// contiguous. Rows are independent: at::parallel_for over rows, at least kMinTaskElements
// logits per thread (64 x 1000 runs inline: waking threads would cost more than the work);
// each row is three short vectorised passes over data already in L1 (read from memory once).
// Test tolerance (tst_softmax_cross_entropy): atol 1e-6 + rtol 1e-5 against LibTorch's
// cross_entropy and its autograd gradient.
#include "kernels/softmax_cross_entropy/softmax_cross_entropy.h"

#include "kernels/common/cpu_vector.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/scalar_tensor.h>

#include <cmath>
#include <limits>

namespace lathe::kernels {

namespace {

struct RowScalars
{
    std::int64_t classes;
    float smoothing;
    float gradPerRow; // gradScale / N
};

/// One row: writes the gradient row and returns the row's loss (double).
LATHE_VECTOR_CLONES double crossEntropyRow(const float *__restrict z, std::int64_t y,
                                           float *__restrict g, const RowScalars &k)
{
    const std::int64_t c = k.classes;
    float top = -std::numeric_limits<float>::infinity();
    float sumZ = 0.0f;
#pragma omp simd reduction(max : top) reduction(+ : sumZ)
    for (std::int64_t i = 0; i < c; ++i) {
        top = z[i] > top ? z[i] : top;
        sumZ += z[i];
    }
    if (std::isnan(sumZ) || !std::isfinite(top)) {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        for (std::int64_t i = 0; i < c; ++i)
            g[i] = nan;
        return std::numeric_limits<double>::quiet_NaN();
    }
    // exp on four lanes at a time (the scalar expApprox does not auto-vectorise, see Float4).
    const detail::Float4 top4 = detail::splat4(top);
    detail::Float4 lanes = detail::splat4(0.0f);
    std::int64_t i = 0;
    for (; i + 4 <= c; i += 4) {
        const detail::Float4 e = detail::expApprox4(detail::load4(z + i) - top4);
        detail::store4(g + i, e);
        lanes += e;
    }
    float sumExp = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < c; ++i) {
        const float e = detail::expApprox(z[i] - top);
        g[i] = e;
        sumExp += e;
    }
    const float scale = k.gradPerRow / sumExp;
    const float offset = k.gradPerRow * k.smoothing / float(c);
#pragma omp simd
    for (std::int64_t i = 0; i < c; ++i)
        g[i] = g[i] * scale - offset;
    g[y] -= k.gradPerRow * (1.0f - k.smoothing);
    const double lse = double(top) + std::log(double(sumExp));
    double loss = lse - (1.0 - double(k.smoothing)) * double(z[y]);
    if (k.smoothing > 0.0f)
        loss -= double(k.smoothing) / double(c) * double(sumZ);
    return loss;
}

Result<void> checkTargets(const std::int64_t *y, std::int64_t rows, std::int64_t classes)
{
    for (std::int64_t r = 0; r < rows; ++r)
        if (y[r] < 0 || y[r] >= classes)
            return fail(ErrorCode::InvalidArgument,
                        "target " + std::to_string(y[r]) + " is not a class index in [0, "
                            + std::to_string(classes) + ")",
                        "row " + std::to_string(r));
    return {};
}

} // namespace

Result<SoftmaxCrossEntropy> softmaxCrossEntropyCpu(const at::Tensor &logits,
                                                   const at::Tensor &targets,
                                                   double labelSmoothing, double gradScale)
{
    if (auto ok = detail::checkSoftmaxCrossEntropy(logits, targets, labelSmoothing); !ok)
        return std::unexpected(ok.error());
    if (!logits.device().is_cpu())
        return fail(ErrorCode::InvalidArgument, "softmaxCrossEntropyCpu needs CPU tensors");
    const at::Tensor z = logits.stride(1) == 1 ? logits : logits.contiguous();
    const at::Tensor y = targets.contiguous();
    const std::int64_t rows = z.size(0), classes = z.size(1);
    if (auto ok = checkTargets(y.data_ptr<std::int64_t>(), rows, classes); !ok)
        return std::unexpected(ok.error());
    at::Tensor grad = at::empty({rows, classes}, z.options());
    if (rows == 0) // LibTorch's mean over no rows
        return SoftmaxCrossEntropy{
            at::scalar_tensor(std::numeric_limits<double>::quiet_NaN(), z.options()), grad};
    const RowScalars k{classes, float(labelSmoothing), float(gradScale / double(rows))};
    const float *zData = z.data_ptr<float>();
    const std::int64_t *yData = y.data_ptr<std::int64_t>();
    float *gData = grad.data_ptr<float>();
    const std::int64_t rowStride = z.stride(0);
    const std::int64_t grain = std::max<std::int64_t>(1, detail::kMinTaskElements / classes);
    const double total = at::parallel_reduce(
        0, rows, grain, 0.0,
        [&](std::int64_t begin, std::int64_t end, double partial) {
            for (std::int64_t r = begin; r < end; ++r)
                partial += crossEntropyRow(zData + r * rowStride, yData[r],
                                           gData + r * classes, k);
            return partial;
        },
        [](double a, double b) { return a + b; });
    return SoftmaxCrossEntropy{at::scalar_tensor(total / double(rows), z.options()), grad};
}

} // namespace lathe::kernels
