// Helpers for the CPU references: loops written so that g++ vectorises them, compiled for both
// AVX2+FMA (x86-64-v3) and baseline x86-64 with a run-time pick (GCC function multi-versioning),
// so one binary is fast on a modern CPU and still runs on an old one.
#pragma once

// at::parallel_for (ATen/Parallel-inl.h) runs on one thread where _OPENMP is undefined:
// kernels/CMakeLists.txt compiles the *_cpu.cpp files with -fopenmp.
#if !defined(_OPENMP)
#error "kernels' CPU references must be compiled with -fopenmp (see kernels/CMakeLists.txt)"
#endif

#include <immintrin.h>

#include <bit>
#include <cstdint>
#include <cstring>

// Not under ThreadSanitizer (the TSan build, scripts/test --sanitize=thread): GCC instruments the
// clones' ifunc resolver, which the dynamic loader runs before TSan's runtime is set up, and the
// executable crashes before main.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
/// Put before a hot loop function: built twice (AVX2+FMA and baseline), chosen at load time.
#define LATHE_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LATHE_VECTOR_CLONES
#endif

namespace lathe::kernels::detail {

/// Elements per unit of parallel work: large enough to amortise scheduling, small enough that
/// a few tensors still spread over every core.
constexpr std::int64_t kCpuChunk = 16384;

/// Least work (elements) worth a thread of its own in ops that are a few flops per element.
/// Waking the OpenMP team costs tens of microseconds, and on a busy machine its spin-waiting
/// workers take the cores the calling thread needs, so smaller work runs inline.
constexpr std::int64_t kMinTaskElements = std::int64_t(1) << 17;

/// exp(x) in float, branch-free so that loops calling it vectorise: Cody-Waite range reduction
/// to r in [-ln2/2, ln2/2], a degree-6 polynomial, then 2^n built in the exponent bits.
/// Relative error < 2e-7 on [-87, 88]; returns 0 below -87.3 and +inf above 88.7; NaN stays NaN.
inline float expApprox(float x)
{
    constexpr float kLog2e = 1.44269504088896341f;
    constexpr float kLn2Hi = 0.693359375f;
    constexpr float kLn2Lo = -2.12194440e-4f;
    const bool under = x < -87.3f;
    const bool over = x > 88.7f;
    const float clamped = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
    const float n = __builtin_roundevenf(clamped * kLog2e);
    const float r = (clamped - n * kLn2Hi) - n * kLn2Lo;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float poly = (p * r) * r + r + 1.0f;
    // n is in [-126, 128]: split 2^n as 2^(n/2) * 2^(n - n/2) so neither factor overflows.
    const std::int32_t ni = std::int32_t(n);
    const std::int32_t half = ni / 2;
    const float scaleA = std::bit_cast<float>((half + 127) << 23);
    const float scaleB = std::bit_cast<float>((ni - half + 127) << 23);
    float result = poly * scaleA * scaleB;
    result = under ? 0.0f : result;
    result = over ? __builtin_inff() : result;
    return x != x ? x : result;
}

/// Four floats as a GCC vector (the same type as SSE's __m128: baseline x86-64, so usable in
/// both clones). Loops on it are vectorised whatever the auto-vectoriser decides: g++ leaves
/// loops scalar when they call sqrt (errno) or select on float compares (-ftrapping-math), and
/// -fno-math-errno would invalidate the shared precompiled header.
using Float4 = __m128;
using Int4 = __v4si;

inline Float4 load4(const float *p)
{
    Float4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline void store4(float *p, Float4 v)
{
    std::memcpy(p, &v, sizeof v);
}

inline Float4 splat4(float x)
{
    return Float4{x, x, x, x};
}

/// expApprox() on four lanes, the same float operations lane by lane (n rounded to nearest even
/// by adding and subtracting 1.5 * 2^23, exact for |x log2 e| < 2^22), so results are equal.
inline Float4 expApprox4(Float4 x)
{
    const Float4 lowest = splat4(-87.3f), highest = splat4(88.7f);
    const Int4 under = x < lowest;
    const Int4 over = x > highest;
    Float4 clamped = under ? lowest : x;
    clamped = over ? highest : clamped;
    const Float4 round = splat4(12582912.0f);
    const Float4 n = (clamped * 1.44269504088896341f + round) - round;
    const Float4 r = (clamped - n * 0.693359375f) - n * -2.12194440e-4f;
    Float4 p = splat4(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const Float4 poly = (p * r) * r + r + 1.0f;
    const Int4 ni = __builtin_convertvector(n, Int4);
    const Int4 half = ni / 2;
    const Float4 scaleA = std::bit_cast<Float4>((half + 127) << 23);
    const Float4 scaleB = std::bit_cast<Float4>((ni - half + 127) << 23);
    Float4 result = poly * scaleA * scaleB;
    result = under ? splat4(0.0f) : result;
    result = over ? splat4(__builtin_inff()) : result;
    return x != x ? x : result;
}

} // namespace lathe::kernels::detail
