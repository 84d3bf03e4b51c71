// The registry of named extension points: Lathe's built-ins and what plugins add, listed and
// looked up alike. Schedules are the first extension point; the others of plugins/sdk follow.
#pragma once

#include "plugins/sdk/lathe/plugin.h"

#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace lathe::plugin {

/// Who provided an entry: Lathe itself or a plugin (by its name).
inline constexpr const char *kBuiltIn = "built-in";

/// One learning-rate schedule of the registry.
struct ScheduleEntry
{
    std::string name;
    std::vector<std::string> keys; ///< the schedule keys it reads (shown in the form)
    std::string description;
    /// Empty for a built-in (core/train computes it); a plugin's factory otherwise.
    sdk::ScheduleFactory factory;
    std::string source = kBuiltIn;
};

/// Named factories per extension point. Built-ins are present from construction; plugins add
/// through the loader (see loader.h), all of a plugin's entries or none. Thread-safe: lookups
/// may run on any thread while a plugin is being added.
class Registry
{
public:
    /// A registry holding Lathe's built-in entries.
    Registry();

    /// Every schedule name, built-ins first, then plugins' in the order they were added.
    std::vector<std::string> scheduleNames() const;
    /// The entry called `name`, if any.
    std::optional<ScheduleEntry> schedule(const std::string &name) const;

    /// Adds `entries` (all from one plugin) unless a name exists already or repeats: then
    /// nothing is added and the offending name is returned.
    std::optional<std::string> addSchedules(std::vector<ScheduleEntry> entries);

private:
    mutable std::shared_mutex m_mutex;
    std::vector<ScheduleEntry> m_schedules;
};

/// The process-wide registry that configs, training and the GUI consult.
Registry &registry();

} // namespace lathe::plugin
