#include "core/compare/environment_diff.h"

#include "core/train/run_environment.h"
#include "core/util/environment.h"

#include <optional>

namespace lathe::compare {

Result<EnvironmentDiff> environmentDiff(track::RunStore &store,
                                        std::span<const std::int64_t> runIds, bool sameConfig)
{
    std::vector<std::optional<util::RunEnvironment>> envs;
    EnvironmentDiff diff;
    for (const auto id : runIds) {
        if (auto exists = store.run(id); !exists)
            return std::unexpected(exists.error());
        auto env = train::latestEnvironment(store, id);
        if (!env)
            return std::unexpected(env.error());
        diff.recorded += env->has_value() ? 1 : 0;
        envs.push_back(std::move(*env));
    }
    std::vector<std::string> aspects;
    for (const auto &aspect : util::environmentAspects()) {
        EnvironmentRow row{aspect, {}};
        std::string first;
        bool differs = false;
        for (const auto &env : envs) {
            row.values.push_back(env ? util::environmentAspect(*env, aspect) : std::string());
            const auto &value = row.values.back();
            if (value.empty())
                continue;
            if (first.empty())
                first = value;
            else if (value != first)
                differs = true;
        }
        if (differs) {
            aspects.push_back(aspect);
            diff.rows.push_back(std::move(row));
        }
    }
    if (!aspects.empty()) {
        std::string list;
        for (const auto &aspect : aspects)
            list += (list.empty() ? "" : ", ") + aspect;
        diff.summary = std::string(sameConfig ? "same config, " : "") + "different " + list;
    }
    return diff;
}

bool sameConfigButSeed(std::span<const track::ParamDiff> diff)
{
    for (const auto &d : diff)
        if (d.key != "training.seed")
            return false;
    return true;
}

} // namespace lathe::compare
