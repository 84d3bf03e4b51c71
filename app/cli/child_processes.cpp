#include "app/cli/child_processes.h"

#include "app/cli/commands.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <spawn.h>
#include <string_view>
#include <sys/wait.h>
#include <thread>

extern char **environ;

namespace lathe::cli {

ChildProcesses::ChildProcesses(std::string command)
    : m_command(std::move(command))
{
}

bool ChildProcesses::start(const std::vector<std::string> &args, const std::string &what,
                           const std::vector<std::string> &env)
{
    std::vector<std::string> copy = args;
    std::vector<char *> argv;
    for (auto &arg : copy)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> variables = env;
    std::vector<char *> envp;
    for (char **entry = environ; *entry; ++entry) {
        const std::string_view line(*entry);
        const auto name = line.substr(0, line.find('=') + 1);
        if (std::none_of(env.begin(), env.end(),
                         [&](const std::string &mine) { return mine.starts_with(name); }))
            envp.push_back(*entry);
    }
    for (auto &variable : variables)
        envp.push_back(variable.data());
    envp.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    // The first child leads the group and the others join it; a group whose members have all
    // ended is gone, so a child started after that leads a new one.
    if (m_children.empty())
        m_group = 0;
    posix_spawnattr_setpgroup(&attr, m_group);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, "/proc/self/exe", nullptr, &attr, argv.data(), envp.data());
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        std::fprintf(stderr, "%s: could not start %s: %s\n", m_command.c_str(), what.c_str(),
                     std::strerror(rc));
        fail(kExitTrainingFailed);
        return false;
    }
    if (m_group == 0)
        m_group = pid;
    m_children.emplace_back(pid, what);
    return true;
}

void ChildProcesses::fail(int code)
{
    if (m_failures++ == 0) {
        m_firstFailure = code;
        m_firstFailedAt = std::chrono::steady_clock::now();
    }
}

void ChildProcesses::reap()
{
    for (auto it = m_children.begin(); it != m_children.end();) {
        int status = 0;
        const pid_t done = ::waitpid(it->first, &status, WNOHANG);
        if (done == 0) {
            ++it;
            continue;
        }
        if (done > 0 && WIFSIGNALED(status)) {
            std::fprintf(stderr, "%s: %s (process %d) was killed by signal %d (SIG%s)%s\n",
                         m_command.c_str(), it->second.c_str(), int(it->first), WTERMSIG(status),
                         sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?",
                         m_signalled == WTERMSIG(status) ? ", sent by this process" : "");
            fail(kExitTrainingFailed);
        } else if (done > 0 && WEXITSTATUS(status) != kExitOk) {
            std::fprintf(stderr, "%s: %s (process %d) exited with %d\n", m_command.c_str(),
                         it->second.c_str(), int(it->first), WEXITSTATUS(status));
            fail(WEXITSTATUS(status));
        }
        it = m_children.erase(it);
    }
}

void ChildProcesses::stopOthers()
{
    const auto since = std::chrono::steady_clock::now() - m_firstFailedAt;
    const int signal = since >= 2 * m_grace ? SIGKILL : since >= m_grace ? SIGTERM : 0;
    if (signal == 0 || signal == m_signalled)
        return;
    m_signalled = signal;
    const long long seconds = std::chrono::duration_cast<std::chrono::seconds>(since).count();
    for (const auto &[pid, what] : m_children) {
        std::fprintf(stderr,
                     "%s: %s (process %d) still runs %llds after the first failure: "
                     "sending SIG%s\n",
                     m_command.c_str(), what.c_str(), int(pid), seconds, sigabbrev_np(signal));
        ::kill(pid, signal);
    }
}

void ChildProcesses::signalAll(int signal) const
{
    if (const pid_t group = m_group; group != 0)
        ::kill(-group, signal);
}

void ChildProcesses::waitUntil(std::size_t atMost, const std::stop_source &stop)
{
    while (m_children.size() > atMost) {
        if (stop.stop_requested() && !m_forwarded && m_group != 0) {
            ::kill(-m_group, SIGINT);
            m_forwarded = true;
        }
        reap();
        if (m_grace.count() > 0 && m_failures > 0)
            stopOthers();
        if (m_children.size() > atMost)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

} // namespace lathe::cli
