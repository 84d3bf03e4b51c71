// What the dispatching entries of the ops share for their CUDA branch. The branch is compiled
// only with LATHE_KERNELS_TORCH_CUDA=1, which kernels/CMakeLists.txt defines when nvcc was found
// AND LibTorch was built with CUDA; otherwise a CUDA tensor gets noCudaError().
#pragma once

#include "base/error.h"
#include "kernels/common/cuda_stream.h"

#include <string>

#ifndef LATHE_KERNELS_TORCH_CUDA
#define LATHE_KERNELS_TORCH_CUDA 0
#endif

#if LATHE_KERNELS_TORCH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#endif

namespace lathe::kernels::detail {

/// The error an op returns for CUDA tensors in a build whose LibTorch or compiler has no CUDA.
inline Error noCudaError(const std::string &op)
{
    return Error{ErrorCode::InvalidArgument,
                 op
                     + " got CUDA tensors, but this build cannot run its CUDA kernels (LibTorch "
                       "or the compiler had no CUDA when it was configured); use CPU tensors",
                 op};
}

#if LATHE_KERNELS_TORCH_CUDA
/// LibTorch's current stream on the current device, as the launchers take it.
inline CudaStream currentCudaStream()
{
    return at::cuda::getCurrentCUDAStream().stream();
}
#endif

} // namespace lathe::kernels::detail
