#include "core/track/write_lock_waits.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace lathe::track {

namespace {

thread_local WriteLockWaits t_waits;

} // namespace

void noteWriteBegin(const std::filesystem::path &file, std::chrono::steady_clock::duration took)
{
    ++t_waits.transactions;
    if (took < kLockWaitThreshold)
        return;
    const double ms = std::chrono::duration<double, std::milli>(took).count();
    ++t_waits.waited;
    t_waits.waitedMs += ms;
    t_waits.longestMs = std::max(t_waits.longestMs, ms);
    spdlog::debug("{}: waited {:.1f} ms for the write lock", file.string(), ms);
}

WriteLockWaits writeLockWaitsOnThisThread()
{
    return t_waits;
}

void logWriteLockWaits(const std::filesystem::path &file, std::string_view who)
{
    if (t_waits.transactions == 0)
        return;
    spdlog::info("{}: {} began {} write transactions, {} waited for the write lock: {:.1f} ms "
                 "in all, longest {:.1f} ms",
                 file.string(), who, t_waits.transactions, t_waits.waited, t_waits.waitedMs,
                 t_waits.longestMs);
}

} // namespace lathe::track
