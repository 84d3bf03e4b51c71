#include "app/cli/environment_output.h"

#include "core/train/run_environment.h"
#include "core/util/environment.h"

#include <cstdio>

namespace lathe::cli {

using nlohmann::json;

void addEnvironmentJson(track::RunStore &store, std::int64_t runId, json &out)
{
    out["environment"] = nullptr;
    out["environment_history"] = json::array();
    auto events = store.events(runId);
    if (!events)
        return;
    std::vector<std::pair<std::int64_t, util::RunEnvironment>> attempts;
    for (const auto &e : *events)
        if (e.kind == util::kEnvironmentEvent)
            if (auto env
                = util::RunEnvironment::fromJson(json::parse(e.payloadJson, nullptr, false)))
                attempts.emplace_back(e.step, std::move(*env));
    if (attempts.empty())
        return;
    const auto &latest = attempts.back().second;
    out["environment"] = latest.toJson();
    for (std::size_t i = 0; i + 1 < attempts.size(); ++i) {
        const auto differences = util::environmentDifferences(attempts[i].second, latest);
        if (differences.empty())
            continue;
        json rows = json::array();
        for (const auto &d : differences)
            rows.push_back({{"aspect", d.aspect}, {"then", d.a}, {"latest", d.b}});
        out["environment_history"].push_back({{"step", attempts[i].first},
                                              {"summary", util::differenceSummary(differences)},
                                              {"differences", rows}});
    }
}

void printEnvironment(const json &out)
{
    if (!out.contains("environment") || out["environment"].is_null()) {
        std::printf("\nenvironment: not recorded (a run from before Lathe recorded it)\n");
        return;
    }
    auto env = util::RunEnvironment::fromJson(out["environment"]);
    if (!env)
        return;
    std::printf("\nenvironment:\n");
    for (const auto &[label, value] : util::environmentLines(*env))
        std::printf("  %-15s %s\n", label.c_str(), value.c_str());
    for (const auto &earlier : out["environment_history"]) {
        std::printf("  the attempt from step %lld ran elsewhere: %s\n",
                    earlier["step"].get<long long>(),
                    earlier["summary"].get<std::string>().c_str());
        for (const auto &d : earlier["differences"])
            std::printf("    %-13s %s (now %s)\n", d["aspect"].get<std::string>().c_str(),
                        d["then"].get<std::string>().c_str(),
                        d["latest"].get<std::string>().c_str());
    }
}

json environmentDiffJson(const compare::EnvironmentDiff &diff)
{
    json rows = json::array();
    for (const auto &row : diff.rows)
        rows.push_back({{"aspect", row.aspect}, {"values", row.values}});
    return {{"summary", diff.summary}, {"recorded", diff.recorded}, {"rows", rows}};
}

void printEnvironmentDiff(const compare::EnvironmentDiff &diff)
{
    for (const auto &row : diff.rows) {
        std::printf("%-28.28s", ("env: " + row.aspect).c_str());
        for (const auto &value : row.values)
            std::printf(" %18.18s", value.empty() ? "-" : value.c_str());
        std::printf("\n");
    }
    if (!diff.summary.empty())
        std::printf("(%s)\n", diff.summary.c_str());
}

json environmentGroupDiffJson(const compare::EnvironmentGroupDiff &diff)
{
    json rows = json::array();
    for (const auto &row : diff.rows)
        rows.push_back({{"aspect", row.aspect}, {"a", row.a}, {"b", row.b}});
    return {
        {"summary", diff.summary}, {"recorded", {diff.recordedA, diff.recordedB}}, {"rows", rows}};
}

void printEnvironmentGroupDiff(const compare::EnvironmentGroupDiff &diff)
{
    if (diff.summary.empty())
        return;
    const auto joined = [](const std::vector<std::string> &values) {
        std::string text;
        for (const auto &v : values)
            text += (text.empty() ? "" : " | ") + v;
        return text;
    };
    std::printf("\n%s:\n", diff.summary.c_str());
    for (const auto &row : diff.rows)
        std::printf("  %-32s %s  vs  %s\n", row.aspect.c_str(), joined(row.a).c_str(),
                    joined(row.b).c_str());
}

} // namespace lathe::cli
