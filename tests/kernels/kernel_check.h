// Shared by the kernel tests: llm.c-style tolerance checks (|x - ref| <= atol + rtol * |ref|).
#pragma once

#include <torch/torch.h>

#include <QString>

namespace lathe::kernels::test {

/// Empty when `x` matches `ref` element-wise within atol + rtol*|ref| (NaN matches NaN,
/// equal infinities match); otherwise a message naming the worst element.
inline QString mismatch(const at::Tensor &x, const at::Tensor &ref, double atol, double rtol)
{
    if (x.sizes() != ref.sizes())
        return "shape differs";
    if (x.numel() == 0)
        return {};
    const auto a = x.to(torch::kDouble).flatten(), b = ref.to(torch::kDouble).flatten();
    const auto bothNan = a.isnan() & b.isnan();
    const auto sameInf = a.isinf() & b.isinf() & (a == b);
    const auto error = (a - b).abs() - (atol + rtol * b.abs());
    const auto bad = ~(bothNan | sameInf) & ~(error <= 0);
    if (!bad.any().item<bool>())
        return {};
    const auto at = bad.nonzero()[0][0].item<std::int64_t>();
    return QString("element %1: got %2, expected %3 (%4 mismatches)")
        .arg(at)
        .arg(a[at].item<double>(), 0, 'g', 9)
        .arg(b[at].item<double>(), 0, 'g', 9)
        .arg(bad.sum().item<std::int64_t>());
}

} // namespace lathe::kernels::test

/// QVERIFY that two tensors agree within tolerance, printing the worst element otherwise.
#define LATHE_COMPARE_TENSORS(x, ref, atol, rtol)                                              \
    do {                                                                                       \
        const QString why = lathe::kernels::test::mismatch((x), (ref), (atol), (rtol));        \
        QVERIFY2(why.isEmpty(), qPrintable(why));                                              \
    } while (false)
