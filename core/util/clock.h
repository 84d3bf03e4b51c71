#pragma once

namespace lathe::util {

/// Seconds since the Unix epoch (wall clock), for stored timestamps. Thread-safe.
double unixNow();

/// Seconds on a monotonic clock, for measuring durations. Thread-safe.
double monotonicNow();

} // namespace lathe::util
