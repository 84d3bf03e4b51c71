#pragma once

// Real worker processes for the c10d tests: the test executable starts itself again on the same
// test class with LATHE_TEST_WORKER=<mode> and torchrun's variables, and the worker runs the
// class's worker function (LATHE_TEST_WORKER in tests/test_registry.h) instead of its tests.

#include "core/dist/dist_options.h"
#include "tests/test_registry.h"

#include <QCoreApplication>
#include <QProcess>
#include <QString>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace lathe::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
inline int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    socklen_t length = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &length);
    ::close(fd);
    return ntohs(addr.sin_port);
}

/// Options of rank `rank` in a world of `world` processes on this machine (DistOptions' master
/// address, 127.0.0.1): a port that was free a moment ago, and `timeoutMs` for each wait.
inline dist::DistOptions localOptions(int world, int rank = 0, int timeoutMs = 20000)
{
    dist::DistOptions o;
    o.worldSize = world;
    o.rank = rank;
    o.masterPort = freePort();
    o.timeout = std::chrono::milliseconds(timeoutMs);
    return o;
}

/// Starts this executable as worker `mode` with rank `rank` of `options` (its world size,
/// master address and port, timeout) and `extra` environment variables; started or qFatal.
inline QProcess *startWorker(QObject *parent, const std::string &mode, const dist::DistOptions &o,
                             int rank, const QProcessEnvironment &extra = {})
{
    auto *process = new QProcess(parent);
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(extra);
    env.insert("LATHE_TEST_WORKER", QString::fromStdString(mode));
    env.insert("WORLD_SIZE", QString::number(o.worldSize));
    env.insert("RANK", QString::number(rank));
    env.insert("LOCAL_RANK", QString::number(rank));
    env.insert("MASTER_ADDR", QString::fromStdString(o.masterAddr));
    env.insert("MASTER_PORT", QString::number(o.masterPort));
    env.insert("LATHE_DIST_TIMEOUT_MS", QString::number(o.timeout.count()));
    process->setProcessEnvironment(env);
    process->start(QCoreApplication::applicationFilePath(), lathe::test::selfArguments({}));
    if (!process->waitForStarted())
        qFatal("cannot start a worker: %s", qPrintable(process->errorString()));
    return process;
}

/// The worker's own options: torchrun's variables and LATHE_DIST_TIMEOUT_MS (qFatal if bad).
inline dist::DistOptions workerOptions()
{
    auto options = dist::optionsFromEnvironment();
    if (!options || !*options)
        qFatal("worker without torchrun's variables");
    if (const char *timeout = std::getenv("LATHE_DIST_TIMEOUT_MS"))
        (*options)->timeout = std::chrono::milliseconds(std::stoll(timeout));
    return **options;
}

} // namespace lathe::testing
