#include "core/track/run_timing.h"

#include <algorithm>

namespace lathe::track {

IdleTime idleTime(std::span<const EventRow> timeline, double endedAt)
{
    IdleTime idle;
    bool training = true; // from started_at, which precedes every event of the run
    double idleFrom = 0;
    const auto stop = [&](double at) {
        if (training) {
            training = false;
            idleFrom = at;
        }
    };
    const auto start = [&](double at) {
        if (!training) {
            training = true;
            idle.seconds += std::max(0.0, at - idleFrom);
        }
    };
    for (const auto &event : timeline) {
        const std::string_view kind = event.kind;
        if (kind == events::kStarted || kind == events::kResumed)
            start(event.wallTime);
        else if (kind == events::kPaused || kind == events::kFinished || kind == events::kFailed
                 || kind == events::kInterrupted)
            stop(event.wallTime);
    }
    if (!training) {
        if (endedAt > 0)
            idle.seconds += std::max(0.0, endedAt - idleFrom);
        else
            idle.since = idleFrom;
    }
    return idle;
}

double wallSeconds(double startedAt, double endedAt, double now)
{
    if (startedAt <= 0)
        return 0;
    return std::max(0.0, (endedAt > 0 ? endedAt : now) - startedAt);
}

double trainingSeconds(double startedAt, double endedAt, const IdleTime &idle, double now)
{
    if (startedAt <= 0)
        return 0;
    const double end = endedAt > 0 ? endedAt : now;
    const double open = idle.since > 0 ? std::max(0.0, end - idle.since) : 0.0;
    return std::max(0.0, end - startedAt - idle.seconds - open);
}

} // namespace lathe::track
