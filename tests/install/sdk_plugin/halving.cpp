// A schedule plugin that halves the rate every optimizer step: what the install test builds
// against the installed SDK, loads and trains with.
#include <lathe/plugin.h>

#include <cmath>

LATHE_PLUGIN("halving", "1.0")

extern "C" int lathe_plugin_register(lathe::sdk::IRegistry *registry)
{
    registry->addSchedule("halving", {}, "The rate halves at every step (install test)",
                          [](const lathe::sdk::ScheduleArgs &a) -> lathe::sdk::ScheduleFunction {
                              return [base = a.baseLr](std::int64_t step) {
                                  return base * std::pow(0.5, double(step));
                              };
                          });
    return 0;
}
