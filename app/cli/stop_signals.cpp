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

void blockStopSignals()
{
    const sigset_t set = stopSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
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

} // namespace lathe::cli
