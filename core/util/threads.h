#pragma once

namespace lathe::util {

/// Sets LibTorch's intra-op thread count: `requested` if > 0, else $LATHE_THREADS if set, else
/// the number of cores (LibTorch's own default on Debian is 1). Returns the count in force.
/// Call from the main thread before training starts.
int configureThreads(int requested = 0);

} // namespace lathe::util
