#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stop_token>
#include <string>
#include <sys/types.h>
#include <vector>

// Child lathe-cli processes: a sweep's workers (`sweep resume ID --worker`), a repeat's runs
// (`train CONFIG --repeat N --workers K`) and a data-parallel run's workers (`train --nproc N`).
// They run in one process group, so that a stop passes on to all of them at once as SIGINT, which
// each takes as its own Ctrl-C.
namespace lathe::cli {

/// A group of child processes of this executable. Not thread-safe: one thread starts and waits.
class ChildProcesses
{
public:
    /// `command` names the parent in messages ("lathe-cli sweep").
    explicit ChildProcesses(std::string command);

    /// Starts this executable with `args` (args[0] is the name it sees) and this process's
    /// environment plus `env` ("NAME=value", replacing a variable of that name); false, with a
    /// message on stderr naming `what`, when it could not be started.
    bool start(const std::vector<std::string> &args, const std::string &what,
               const std::vector<std::string> &env = {});

    /// Waits until at most `atMost` children are still running, passing a stop requested on
    /// `stop` to the whole group (once). A child killed by a signal or exiting with a code other
    /// than 0 is reported on stderr and counted in failures().
    void waitUntil(std::size_t atMost, const std::stop_source &stop);

    /// All or none (a data-parallel run's workers: one gone, the others cannot go on): once a
    /// child has failed, the others still running `grace` later get SIGTERM, and SIGKILL `grace`
    /// after that; each is named on stderr. Call before waitUntil().
    void stopOthersOnFailure(std::chrono::milliseconds grace) { m_grace = grace; }

    /// Sends `signal` to every child still running (the group), from any thread; nothing
    /// before the first child started.
    void signalAll(int signal) const;

    std::size_t running() const { return m_children.size(); }
    int failures() const { return m_failures; }
    /// The exit code of the first child that failed (kExitTrainingFailed for one killed by a
    /// signal or not started); kExitOk when none did.
    int firstFailure() const { return m_firstFailure; }

private:
    void fail(int code); ///< counts a failure, keeping the first one's code
    void reap();         ///< reports and forgets the children that ended
    void stopOthers();   ///< stopOthersOnFailure()'s SIGTERM, then SIGKILL

    std::string m_command;
    std::vector<std::pair<pid_t, std::string>> m_children; ///< pid, what it is
    std::atomic<pid_t> m_group = 0;
    bool m_forwarded = false;
    int m_failures = 0;
    int m_firstFailure = 0;
    std::chrono::milliseconds m_grace{0}; ///< 0: the others run on after a failure
    std::chrono::steady_clock::time_point m_firstFailedAt{};
    int m_signalled = 0; ///< the last signal stopOthers() sent (0, SIGTERM, SIGKILL)
};

} // namespace lathe::cli
