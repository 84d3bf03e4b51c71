// The Lathe plugin interface: what a plugin (a shared library) sees of Lathe. Header-only.
//
// A plugin exports two C functions (LATHE_PLUGIN defines the first):
//   const lathe::sdk::PluginInfo *lathe_plugin_info();   its name, version and ABI version
//   int lathe_plugin_register(lathe::sdk::IRegistry *r);  registers its factories; 0 = success
// Lathe loads a plugin only when its abiVersion is in [kLatheAbiCompatible, kLatheAbiVersion].
// New extension points are appended to IRegistry as new virtual functions (never inserted or
// changed), so a plugin built against an older version of this header keeps working until
// kLatheAbiCompatible moves past it. Plugins are built with the same compiler and standard
// library as Lathe (they exchange std::string and std::function).
//
// Errors: an exception thrown from lathe_plugin_register, or a non-zero return, skips the
// whole plugin (nothing it registered is kept); an exception from a factory fails only the
// action that called it, with a message naming the plugin.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lathe::sdk {

/// The ABI this header describes.
inline constexpr std::int32_t kLatheAbiVersion = 1;
/// The oldest plugin ABI this header is still compatible with.
inline constexpr std::int32_t kLatheAbiCompatible = 1;

/// What lathe_plugin_info() returns (static storage: Lathe keeps the pointer).
struct PluginInfo
{
    std::int32_t abiVersion = kLatheAbiVersion;
    const char *name = "";    ///< unique among plugins, e.g. "cosine-restarts"
    const char *version = ""; ///< the plugin's own version, e.g. "1.0"
};

/// The run's schedule settings a schedule factory may read (keys of the config's "schedule"
/// section, already validated) and the run's shape.
struct ScheduleArgs
{
    double baseLr = 0.0;             ///< optimizer.lr
    std::int64_t stepsPerEpoch = 1;  ///< optimizer steps per epoch, >= 1
    std::int64_t totalSteps = 1;     ///< optimizer steps of the whole run, >= 1
    double stepEpochs = 1.0;         ///< schedule.step_epochs
    double gamma = 0.1;              ///< schedule.gamma
    double warmupEpochs = 0.0;       ///< schedule.warmup_epochs
    double minLr = 0.0;              ///< schedule.min_lr
};

/// A learning-rate schedule: the rate for 0-based optimizer step `step` in [0, totalSteps).
/// Must return a finite rate >= 0.
using ScheduleFunction = std::function<double(std::int64_t step)>;
/// Makes the schedule of one run.
using ScheduleFactory = std::function<ScheduleFunction(const ScheduleArgs &args)>;

/// Where a plugin registers its factories. Names are unique per extension point across Lathe's
/// built-ins and every plugin; a name that exists already makes Lathe skip the plugin.
class IRegistry
{
public:
    virtual ~IRegistry() = default;

    /// A learning-rate schedule, selected by schedule.type = `name`. `keys` lists the schedule
    /// keys it reads (of ScheduleArgs: "step_epochs", "gamma", "warmup_epochs", "min_lr"), so
    /// the hyperparameter form shows those; `description` is a one-line tooltip.
    virtual void addSchedule(const std::string &name, const std::vector<std::string> &keys,
                             const std::string &description, ScheduleFactory factory)
        = 0;
};

} // namespace lathe::sdk

/// Defines lathe_plugin_info() for a plugin called `name` at version `version` (string literals).
#define LATHE_PLUGIN(name, version)                                                                \
    extern "C" const lathe::sdk::PluginInfo *lathe_plugin_info()                                   \
    {                                                                                              \
        static const lathe::sdk::PluginInfo info{lathe::sdk::kLatheAbiVersion, name, version};     \
        return &info;                                                                              \
    }

/// The signature of lathe_plugin_info.
using LathePluginInfoFn = const lathe::sdk::PluginInfo *(*)();
/// The signature of lathe_plugin_register.
using LathePluginRegisterFn = int (*)(lathe::sdk::IRegistry *);
