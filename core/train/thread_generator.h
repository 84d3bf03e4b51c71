// Random draws that stay on one thread: building a network for inspection must not move the
// process-wide generator a training run on another thread draws its dropout masks from.
#pragma once

#include <ATen/core/Generator.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

#include <cstdint>

namespace lathe::train {

/// While alive, every LibTorch operation called on the constructing thread that takes an
/// optional generator and is given none (the weight initialisation in torch::nn constructors,
/// torch::randn, dropout, randperm) draws from a private CPU generator seeded with `seed`
/// instead of LibTorch's process-wide default generator, which is left exactly as it was.
/// Other threads are not affected at all, so this is race-free where saving and restoring the
/// default generator's state would not be: a trainer on another thread keeps its stream.
///
/// How: a thread-local dispatch key (CustomRNGKeyId, which LibTorch reserves for custom RNGs)
/// routes every operator with a `Generator?` argument through a kernel that fills in the private
/// generator and redispatches; every other operator falls through at no cost. Nests (the inner
/// scope wins). Construct and destroy on the same thread; not copyable or movable.
class ThreadGeneratorScope
{
public:
    explicit ThreadGeneratorScope(std::uint64_t seed);
    ~ThreadGeneratorScope();

    ThreadGeneratorScope(const ThreadGeneratorScope &) = delete;
    ThreadGeneratorScope &operator=(const ThreadGeneratorScope &) = delete;

private:
    at::Generator m_generator;
    at::Generator *m_previous;
    c10::impl::IncludeDispatchKeyGuard m_include;
};

} // namespace lathe::train
