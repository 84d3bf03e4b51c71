// The plain-C++ face of the CUDA launchers: a stream handle and a launch status, with no CUDA
// header needed. `CudaStream` is the very type cudaStream_t names (CUDA declares
// `typedef struct CUstream_st *cudaStream_t`), so .cu files pass theirs straight through.
#pragma once

#include <string>

struct CUstream_st;

namespace lathe::kernels {

/// A CUDA stream (cudaStream_t); nullptr is the legacy default stream.
using CudaStream = CUstream_st *;

/// What a launcher reports: empty `error` on success, otherwise which precondition or which
/// CUDA call failed and why. Launchers never throw and never abort.
struct LaunchStatus
{
    std::string error;
    bool ok() const { return error.empty(); }
};

} // namespace lathe::kernels
