#pragma once

#include <chrono>

namespace lathe::track {

/// The current time as unix seconds with sub-second precision (the store's time unit).
/// Thread-safe.
inline double unixNow()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

} // namespace lathe::track
