#include "core/plugin/registry.h"

#include <algorithm>
#include <mutex>
#include <set>

namespace lathe::plugin {

namespace {

// Lathe's own schedules (their maths is train::LrSchedule and PlateauTracker), with the keys
// each reads.
std::vector<ScheduleEntry> builtinSchedules()
{
    return {
        {"constant", {}, "The base rate throughout", {}},
        {"step", {"step_epochs", "gamma"}, "Multiply by gamma every step_epochs epochs", {}},
        {"multistep", {"milestones", "gamma"}, "Multiply by gamma at each milestone epoch", {}},
        {"exponential", {"gamma"}, "Multiply by gamma every epoch, continuously", {}},
        {"cosine", {"min_lr"}, "Cosine from the base rate down to min_lr", {}},
        {"warmup-cosine",
         {"warmup_epochs", "min_lr"},
         "Linear warm-up for warmup_epochs, then cosine down to min_lr",
         {}},
        {"one-cycle",
         {"pct_start", "div_factor", "final_div_factor"},
         "PyTorch's OneCycleLR: up to the base rate, then down",
         {}},
        {"plateau",
         {"plateau_factor", "plateau_patience", "plateau_threshold", "plateau_cooldown"},
         "Cut by plateau_factor when the validation loss stops improving",
         {}},
    };
}

} // namespace

Registry::Registry()
    : m_schedules(builtinSchedules())
{}

std::vector<std::string> Registry::scheduleNames() const
{
    std::shared_lock lock(m_mutex);
    std::vector<std::string> names;
    names.reserve(m_schedules.size());
    for (const auto &entry : m_schedules)
        names.push_back(entry.name);
    return names;
}

std::optional<ScheduleEntry> Registry::schedule(const std::string &name) const
{
    std::shared_lock lock(m_mutex);
    auto it = std::find_if(m_schedules.begin(), m_schedules.end(),
                           [&](const ScheduleEntry &e) { return e.name == name; });
    if (it == m_schedules.end())
        return std::nullopt;
    return *it;
}

std::optional<std::string> Registry::addSchedules(std::vector<ScheduleEntry> entries)
{
    std::unique_lock lock(m_mutex);
    std::set<std::string> seen;
    for (const auto &entry : entries) {
        const bool exists = std::any_of(m_schedules.begin(), m_schedules.end(),
                                        [&](const ScheduleEntry &e) { return e.name == entry.name; });
        if (exists || !seen.insert(entry.name).second)
            return entry.name;
    }
    for (auto &entry : entries)
        m_schedules.push_back(std::move(entry));
    return std::nullopt;
}

Registry &registry()
{
    static Registry instance;
    return instance;
}

} // namespace lathe::plugin
