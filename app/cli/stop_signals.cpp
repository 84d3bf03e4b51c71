#include "app/cli/stop_signals.h"

#include <cstdio>

namespace lathe::cli {

sigset_t stopSignals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

sigset_t pauseSignals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    return set;
}

void blockStopSignals()
{
    const sigset_t stop = stopSignals();
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    const sigset_t pause = pauseSignals();
    pthread_sigmask(SIG_BLOCK, &pause, nullptr);
}

std::jthread watchStopSignals(std::stop_source &stop, std::string message)
{
    return std::jthread([&stop, message = std::move(message)](std::stop_token finished) {
        const sigset_t set = stopSignals();
        const timespec tick{0, 100'000'000};
        while (!finished.stop_requested()) {
            siginfo_t info;
            if (sigtimedwait(&set, &info, &tick) > 0 && !stop.stop_requested()) {
                std::fprintf(stderr, "%s", message.c_str());
                stop.request_stop();
            }
        }
    });
}

std::jthread watchPauseSignals(std::function<void(bool)> onPause)
{
    return std::jthread([onPause = std::move(onPause)](std::stop_token finished) {
        const sigset_t set = pauseSignals();
        const timespec tick{0, 100'000'000};
        while (!finished.stop_requested()) {
            siginfo_t info;
            if (const int signal = sigtimedwait(&set, &info, &tick); signal > 0)
                onPause(signal == SIGUSR1);
        }
    });
}

} // namespace lathe::cli
