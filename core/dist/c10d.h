#pragma once

// LibTorch's c10d headers, for core/dist's own sources only: they are heavy. The Gloo process
// group's header is empty unless USE_C10D_GLOO is defined. Debian's LibTorch (built with c10d
// and Gloo; libgloo-dev provides the library) puts USE_DISTRIBUTED and USE_C10D_GLOO on
// torch_cpu's INTERFACE_COMPILE_DEFINITIONS, so every torch target and the shared precompiled
// header already have them; a LibTorch whose CMake config does not gets them here, after the
// precompiled header (a -D on the target that the header was not built with would make GCC
// refuse the header for the whole module).
//
// API used, present in LibTorch 1.13 and 2.x alike: TCPStore(host, TCPStoreOptions),
// FileStore(path, n), PrefixStore, Store::set/get/check/wait, ProcessGroupGloo(store, rank,
// size, Options) with createDeviceForHostname/createDefaultDevice/createDeviceForInterface, and
// its allreduce/allgather/broadcast returning a work with wait(). Where 2.x differs: Work is
// c10d::Work there (ProcessGroup::Work in 1.13), which this code never names (decltype), and
// ProcessGroupGloo and ProcessGroupNCCL derive from c10d::Backend rather than ProcessGroup, so
// they are held through C10dGroup, the base of the LibTorch at hand.

#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#ifndef USE_DISTRIBUTED
#define USE_DISTRIBUTED
#endif

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>

#include "core/dist/dist_options.h"
#include "core/util/error.h"

namespace lathe::dist {

/// The class both of c10d's process groups derive from (ProcessGroup in LibTorch 1.x, Backend in
/// 2.x): what ProcessGroup holds, whichever backend it connected.
#if TORCH_VERSION_MAJOR >= 2
using C10dGroup = c10d::Backend;
#else
using C10dGroup = c10d::ProcessGroup;
#endif

/// A ProcessGroupNCCL over `store` for CUDA tensors, on GPU options.localRank (made the calling
/// thread's current device). Built only against a LibTorch with CUDA (core/dist/nccl_backend.cpp,
/// LATHE_DIST_NCCL); otherwise, and for NCCL's own failures, InvalidArgument saying why.
Result<c10::intrusive_ptr<C10dGroup>> connectNccl(const c10::intrusive_ptr<c10d::Store> &store,
                                                  const DistOptions &options);

} // namespace lathe::dist
