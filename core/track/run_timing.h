#pragma once

#include "core/track/store_types.h"

#include <span>
#include <string_view>

// Training time versus wall time: a run's stored timeline events say when it was not
// training (paused, or ended and not yet resumed), so its training time leaves those out.
namespace lathe::track {

/// The event kinds that start and stop a run's training (written by RunJob, the trainer's
/// notes, RunRecorder and RunStore::markInterrupted).
namespace events {
inline constexpr std::string_view kStarted = "started"; ///< an attempt began (train or resume)
inline constexpr std::string_view kPaused = "paused";
inline constexpr std::string_view kResumed = "resumed";   ///< out of a pause
inline constexpr std::string_view kFinished = "finished"; ///< finished or stopped
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kInterrupted = "interrupted"; ///< at the run's last write
/// What a fine-tune started from (its JSON summary; "imported" describes an imported model).
inline constexpr std::string_view kFineTune = "finetune";
} // namespace events

/// The time a run spent not training between its start and its end: paused, or between the
/// end of an attempt (stopped, failed, interrupted) and the next start. Closed intervals are
/// summed in `seconds`; an interval still open (a live run that is paused) began at `since`.
struct IdleTime
{
    double seconds = 0;
    double since = 0; ///< 0: none open
    bool operator==(const IdleTime &) const = default;
};

/// Folds a run's timeline events, in the order they were written (kinds other than those in
/// `events` are ignored), into its idle time. `endedAt` (0 = not ended) closes an interval
/// still open at the end. Pure function.
IdleTime idleTime(std::span<const EventRow> timeline, double endedAt);

/// Seconds from start to end (to `now` while unfinished); 0 when never started.
double wallSeconds(double startedAt, double endedAt, double now);

/// wallSeconds less the idle time: the time the run actually trained. 0 when never started.
double trainingSeconds(double startedAt, double endedAt, const IdleTime &idle, double now);

} // namespace lathe::track
