#pragma once

namespace lathe::util {

/// Keeps freed tensor memory in the process heap instead of handing it back to the kernel.
/// glibc's defaults give a training step's activations (a few MiB each) back on every free
/// (munmap, a trim of the heap top, or deleting a thread arena's 64 MiB heap) and fault them in
/// again on the next step: on the default cnn that was ~1.8M page faults per 500 steps and
/// about 40% of the step's time. This fixes the mmap threshold at its 32 MiB maximum, raises
/// the trim threshold to 1 GiB and keeps every thread on the main arena (a training thread's
/// own arena would still create and delete heaps each step), as a caching allocator would.
/// Done once per process (later calls do nothing), before threads start where possible, and
/// never when the user tunes malloc (glibc.malloc in $GLIBC_TUNABLES, or a $MALLOC_* setting).
/// Returns whether the settings are in force; false where the C library is not glibc.
bool configureAllocator();

} // namespace lathe::util
