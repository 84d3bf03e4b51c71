#include "core/compare/environment_diff.h"

#include "core/train/run_environment.h"
#include "core/util/environment.h"

#include <algorithm>
#include <optional>
#include <set>

namespace lathe::compare {

namespace {

/// Each run's latest environment (nullopt for a run that recorded none).
Result<std::vector<std::optional<util::RunEnvironment>>>
latestEnvironments(track::RunStore &store, std::span<const std::int64_t> runIds)
{
    std::vector<std::optional<util::RunEnvironment>> envs;
    for (const auto id : runIds) {
        if (auto exists = store.run(id); !exists)
            return std::unexpected(exists.error());
        auto env = train::latestEnvironment(store, id);
        if (!env)
            return std::unexpected(env.error());
        envs.push_back(std::move(*env));
    }
    return envs;
}

/// The distinct values of `aspect` the environments recorded, sorted.
std::vector<std::string>
distinctValues(const std::vector<std::optional<util::RunEnvironment>> &envs,
               const std::string &aspect)
{
    std::set<std::string> values;
    for (const auto &env : envs)
        if (env)
            if (auto value = util::environmentAspect(*env, aspect); !value.empty())
                values.insert(std::move(value));
    return {values.begin(), values.end()};
}

int countRecorded(const std::vector<std::optional<util::RunEnvironment>> &envs)
{
    return int(std::ranges::count_if(envs, [](const auto &env) { return env.has_value(); }));
}

} // namespace

Result<EnvironmentDiff> environmentDiff(track::RunStore &store,
                                        std::span<const std::int64_t> runIds, bool sameConfig)
{
    auto loaded = latestEnvironments(store, runIds);
    if (!loaded)
        return std::unexpected(loaded.error());
    const auto &envs = *loaded;
    EnvironmentDiff diff;
    diff.recorded = countRecorded(envs);
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

Result<EnvironmentGroupDiff> environmentGroupDiff(track::RunStore &store,
                                                  std::span<const std::int64_t> a,
                                                  std::span<const std::int64_t> b, bool sameConfig)
{
    auto envsA = latestEnvironments(store, a);
    if (!envsA)
        return std::unexpected(envsA.error());
    auto envsB = latestEnvironments(store, b);
    if (!envsB)
        return std::unexpected(envsB.error());
    EnvironmentGroupDiff diff;
    diff.recordedA = countRecorded(*envsA);
    diff.recordedB = countRecorded(*envsB);
    std::string list;
    for (const auto &aspect : util::environmentAspects()) {
        EnvironmentGroupRow row{aspect, distinctValues(*envsA, aspect),
                                distinctValues(*envsB, aspect)};
        if (row.a.empty() || row.b.empty() || row.a == row.b)
            continue;
        list += (list.empty() ? "" : ", ") + aspect;
        diff.rows.push_back(std::move(row));
    }
    if (!list.empty())
        diff.summary = std::string(sameConfig ? "same config, " : "")
                       + "the groups ran on different " + list;
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
