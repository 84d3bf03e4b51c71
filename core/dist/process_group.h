#pragma once

#include "core/dist/dist_options.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace lathe::dist {

/// A collective operation in flight (ProcessGroup::allreduceSumAsync). Move-only; waiting twice
/// returns the first answer.
class Pending
{
public:
    Pending();
    ~Pending();
    Pending(Pending &&) noexcept;
    Pending &operator=(Pending &&) noexcept;

    /// Blocks until the operation is done. A peer that died or stayed silent past the
    /// timeout is an Error (Training) saying so; never throws.
    Result<void> wait();

private:
    friend class ProcessGroup;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// The collectives' engine: Gloo (CPU tensors over TCP) or NCCL (CUDA tensors, one GPU per
/// local rank; built only against a LibTorch with CUDA, ncclBuilt()).
enum class Backend { Gloo, Nccl };

/// Whether this build has the NCCL backend (core/CMakeLists.txt: LibTorch with CUDA and NCCL's
/// headers found). Thread-safe.
bool ncclBuilt();

/// The workers of one data-parallel run, met through a c10d store, and the collectives among
/// them: a c10d::ProcessGroupGloo, or a ProcessGroupNCCL where built (connect() picks the
/// backend, Pending wraps either's work). Not thread-safe: the training thread calls every
/// member, in the same order on every rank (collectives match by order).
class ProcessGroup
{
public:
    /// Meets the other workers and checks that they belong to the same run, then connects the
    /// process group. Rank 0 listens on options.masterAddr:masterPort (a TCPStore) or creates
    /// the file store; each other rank records its world size and `configHash` there, and rank
    /// 0 compares them with its own and publishes the verdict, so every rank fails with the
    /// same message. Errors (InvalidArgument, context options.where()): the port is in use, the
    /// master cannot be reached within the timeout, a worker's world size or config hash
    /// differs from rank 0's (naming the rank), workers missing after the timeout (naming them).
    /// Never throws.
    /// Backend::Nccl where ncclBuilt() is false: InvalidArgument (context training.device).
    static Result<std::unique_ptr<ProcessGroup>> connect(const DistOptions &options,
                                                         const std::string &configHash,
                                                         Backend backend = Backend::Gloo);
    ~ProcessGroup();

    int rank() const;
    int worldSize() const;
    const DistOptions &options() const;

    /// Starts summing `tensor` (contiguous, CPU) over all ranks, in place.
    Pending allreduceSumAsync(torch::Tensor tensor);
    /// Sums `tensor` in place over all ranks and waits.
    Result<void> allreduceSum(torch::Tensor tensor);
    /// Overwrites `tensor` on every rank with rank `root`'s.
    Result<void> broadcast(torch::Tensor tensor, int root);
    /// Every rank's `tensor` (same shape and dtype on all), in rank order.
    Result<std::vector<torch::Tensor>> allgather(const torch::Tensor &tensor);

private:
    ProcessGroup();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace lathe::dist
