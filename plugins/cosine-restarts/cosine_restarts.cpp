// cosine-restarts: a sample schedule plugin. Cosine annealing with warm restarts (SGDR,
// Loshchilov & Hutter 2017): each cycle of step_epochs epochs falls from its peak to min_lr
// along a cosine, then the rate jumps back up; each peak is gamma times the one before
// (gamma = 1 restarts at the base rate every time).
#include "lathe/plugin.h"

#include <algorithm>
#include <cmath>
#include <numbers>

LATHE_PLUGIN("cosine-restarts", "1.0")

extern "C" int lathe_plugin_register(lathe::sdk::IRegistry *registry)
{
    registry->addSchedule(
        "cosine-restarts", {"step_epochs", "gamma", "min_lr"},
        "Cosine down to min_lr every step_epochs epochs, then a restart at gamma times the last "
        "peak (plugin)",
        [](const lathe::sdk::ScheduleArgs &a) -> lathe::sdk::ScheduleFunction {
            const auto period = std::max<std::int64_t>(
                1, std::llround(a.stepEpochs * double(a.stepsPerEpoch)));
            return [a, period](std::int64_t step) {
                const double peak = a.baseLr * std::pow(a.gamma, double(step / period));
                const double low = std::min(a.minLr, peak);
                const double t = double(step % period) / double(period);
                return low + (peak - low) * (1.0 + std::cos(std::numbers::pi * t)) / 2.0;
            };
        });
    return 0;
}
