#include "core/util/allocator.h"

#include <cstdlib>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lathe::util {

namespace {

#if defined(__GLIBC__)
bool userTunesMalloc()
{
    const char *tunables = std::getenv("GLIBC_TUNABLES");
    if (tunables && std::string_view(tunables).find("glibc.malloc.") != std::string_view::npos)
        return true;
    for (const char *name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                             "MALLOC_ARENA_MAX"})
        if (std::getenv(name))
            return true;
    return false;
}

bool apply()
{
    if (userTunesMalloc())
        return false;
    constexpr int mmapThreshold = 32 << 20; // glibc's upper bound for M_MMAP_THRESHOLD on 64-bit
    constexpr int trimThreshold = 1 << 30;
    return mallopt(M_MMAP_THRESHOLD, mmapThreshold) == 1
           && mallopt(M_TRIM_THRESHOLD, trimThreshold) == 1 && mallopt(M_ARENA_MAX, 1) == 1;
}
#else
bool apply()
{
    return false;
}
#endif

} // namespace

bool configureAllocator()
{
    static const bool applied = apply();
    return applied;
}

} // namespace lathe::util
