#pragma once

#include <csignal>
#include <functional>
#include <stop_token>
#include <string>
#include <thread>

// Ctrl-C for lathe-cli's long commands: SIGINT and SIGTERM are blocked in every thread and taken
// with sigtimedwait by one watcher thread, so a signal never lands in a LibTorch or loader thread.
// SIGUSR1 and SIGUSR2 pause and resume a training run the same way (the window's Pause and Resume
// for the `--nproc` run it started).
namespace lathe::cli {

/// SIGINT and SIGTERM.
sigset_t stopSignals();

/// SIGUSR1 (pause) and SIGUSR2 (resume).
sigset_t pauseSignals();

/// Blocks stopSignals() and pauseSignals() for this thread and every thread it starts from now
/// on (and, through the mask a child inherits, for the processes it starts until they set their
/// own): a pause signal that no watcher takes stays pending instead of ending the process.
void blockStopSignals();

/// A thread that requests `stop` at the first SIGINT/SIGTERM, printing `message` to stderr;
/// it ends when the returned jthread is destroyed.
std::jthread watchStopSignals(std::stop_source &stop, std::string message);

/// A thread that calls `onPause(true)` at each SIGUSR1 and `onPause(false)` at each SIGUSR2 (on
/// itself); it ends when the returned jthread is destroyed.
std::jthread watchPauseSignals(std::function<void(bool)> onPause);

} // namespace lathe::cli
