#include "core/util/clock.h"

#include <chrono>
#include <cmath>
#include <ctime>

namespace lathe::util {

double unixNow()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string isoLocalTime(double unixSeconds)
{
    const auto t = static_cast<std::time_t>(std::floor(unixSeconds));
    std::tm local{};
    localtime_r(&t, &local);
    char text[40];
    // %z gives +0100; ISO 8601's extended form, as the date and time use, is +01:00.
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S%z", &local);
    if (n < 5)
        return std::string(text, n);
    // Built by appending: std::string::insert here trips GCC 12's false -Wrestrict (PR 105329).
    return std::string(text, n - 2) + ":" + std::string(text + n - 2, 2);
}

double monotonicNow()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

} // namespace lathe::util
