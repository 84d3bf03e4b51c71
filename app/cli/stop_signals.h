#pragma once

#include <csignal>
#include <stop_token>
#include <string>
#include <thread>

// Ctrl-C for lathe-cli's long commands: SIGINT and SIGTERM are blocked in every thread and taken
// with sigtimedwait by one watcher thread, so a signal never lands in a LibTorch or loader thread.
namespace lathe::cli {

/// SIGINT and SIGTERM.
sigset_t stopSignals();

/// Blocks stopSignals() for this thread and every thread it starts from now on (and, through
/// the mask a child inherits, for the processes it starts until they set their own).
void blockStopSignals();

/// A thread that requests `stop` at the first SIGINT/SIGTERM, printing `message` to stderr;
/// it ends when the returned jthread is destroyed.
std::jthread watchStopSignals(std::stop_source &stop, std::string message);

} // namespace lathe::cli
