#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace lathe::track {

/// Who owns a running run: the host name, the pid and the process start time (field 22 of
/// /proc/<pid>/stat, clock ticks since boot), so that a reused pid is not mistaken for the owner.
struct ProcessIdentity
{
    std::string host;
    std::int64_t pid = 0;
    std::int64_t startTime = 0;
};

/// This process's identity (read afresh each call, so it is right after a fork).
/// Thread-safe; fields that cannot be read are left empty/0.
ProcessIdentity currentProcess();

/// Start time of process `pid` on this host, nullopt when no such process exists.
/// Thread-safe.
std::optional<std::int64_t> processStartTime(std::int64_t pid);

/// True iff `owner` is alive here: same host, /proc/<pid>/stat exists and its start time
/// matches. False for another host's process: the caller must decide about those.
bool isAliveHere(const ProcessIdentity &owner);

} // namespace lathe::track
