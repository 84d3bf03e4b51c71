// The NCCL backend (issue 18): c10d's ProcessGroupNCCL for CUDA tensors, one GPU per local rank
// (LOCAL_RANK). It exists only in a build against a LibTorch with CUDA, whose libtorch_cuda holds
// ProcessGroupNCCL: core/CMakeLists.txt then gives this file alone LATHE_DIST_NCCL and
// USE_C10D_NCCL and NCCL's headers (it skips the shared precompiled header, built without them).
// Otherwise this file only says why there is no NCCL, and a data-parallel run on CUDA is refused
// before the ranks meet.
#include "core/dist/c10d.h"
#include "core/dist/process_group.h"
#include "core/util/torch_error.h"

#ifdef LATHE_DIST_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace lathe::dist {

bool ncclBuilt()
{
#ifdef LATHE_DIST_NCCL
    return true;
#else
    return false;
#endif
}

Result<c10::intrusive_ptr<C10dGroup>> connectNccl(const c10::intrusive_ptr<c10d::Store> &store,
                                                  const DistOptions &o)
{
#ifdef LATHE_DIST_NCCL
    try {
        // The trainer's "cuda" device is the current one: this rank's GPU from here on.
        c10::cuda::set_device(c10::DeviceIndex(o.localRank));
        auto options = c10d::ProcessGroupNCCL::Options::create();
        options->timeout = o.timeout;
        return c10::intrusive_ptr<C10dGroup>(c10::make_intrusive<c10d::ProcessGroupNCCL>(
            c10::make_intrusive<c10d::PrefixStore>("nccl", store), o.rank, o.worldSize, options));
    } catch (const std::exception &e) {
        return fail(ErrorCode::InvalidArgument,
                    "cannot connect the NCCL process group on rank " + std::to_string(o.rank)
                        + " (GPU " + std::to_string(o.localRank) + "): " + util::describe(e),
                    o.where());
    }
#else
    (void)store;
    (void)o;
    return fail(ErrorCode::InvalidArgument,
                "data-parallel training on CUDA needs c10d's NCCL backend, and this Lathe was "
                "built without it (against a LibTorch without CUDA); train data parallel on the "
                "CPU (training.device \"cpu\", over Gloo) or build Lathe against a LibTorch with "
                "CUDA",
                "training.device");
#endif
}

} // namespace lathe::dist
