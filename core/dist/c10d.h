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
// ProcessGroupGloo derives from c10d::Backend rather than ProcessGroup, which is why it is held
// as ProcessGroupGloo, not through the base class.

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
