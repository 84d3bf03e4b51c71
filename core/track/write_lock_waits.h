#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string_view>

// How long write transactions waited for SQLite's write lock: the price of many processes
// writing one store. sql::Transaction::begin reports every BEGIN IMMEDIATE here; the figures are
// kept per thread, because a connection is confined to one thread and the store's writer is one
// thread, so a writer's own figures are exact whatever else its process does.
namespace lathe::track {

/// The write transactions begun on one thread so far.
struct WriteLockWaits
{
    std::uint64_t transactions = 0; ///< BEGIN IMMEDIATE attempts, failed ones included
    std::uint64_t waited = 0;       ///< of those, the ones that took kLockWaitThreshold or more
    double waitedMs = 0;            ///< their time, in all
    double longestMs = 0;
};

/// A BEGIN IMMEDIATE that gets the lock at once takes tens of microseconds; one that finds the
/// lock taken sleeps at least 1 ms in SQLite's busy handler before it tries again. (A thread
/// descheduled for 1 ms on a loaded machine counts too: that is waiting as well.)
inline constexpr std::chrono::microseconds kLockWaitThreshold{1000};

/// Records one BEGIN IMMEDIATE on `file` that took `took`; a wait is also logged at debug level
/// ("<file>: waited <ms> ms for the write lock"). Thread-safe (it touches the calling thread's
/// figures only).
void noteWriteBegin(const std::filesystem::path &file, std::chrono::steady_clock::duration took);

/// The calling thread's figures so far. Thread-safe.
WriteLockWaits writeLockWaitsOnThisThread();

/// Logs the calling thread's figures at info level, as "<file>: <who> began <n> write
/// transactions, <k> waited for the write lock: <ms> ms in all, longest <ms> ms"; nothing when
/// it began none. Thread-safe.
void logWriteLockWaits(const std::filesystem::path &file, std::string_view who);

} // namespace lathe::track
