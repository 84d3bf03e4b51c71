#pragma once

#include <string>

namespace lathe::util {

/// Seconds since the Unix epoch (wall clock), for stored timestamps. Thread-safe.
double unixNow();

/// `unixSeconds` as ISO 8601 in local time with its UTC offset, to the second:
/// "2026-12-03T10:15:42+01:00". Thread-safe.
std::string isoLocalTime(double unixSeconds);

/// Seconds on a monotonic clock, for measuring durations. Thread-safe.
double monotonicNow();

} // namespace lathe::util
