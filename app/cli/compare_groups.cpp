#include "app/cli/compare_groups.h"

#include "app/cli/commands.h"
#include "app/cli/environment_output.h"

#include "core/compare/side_comparison.h"
#include "core/stats/comparison.h"
#include "core/track/metric_keys.h"
#include "core/track/run_groups.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lathe::cli {

namespace {

using json = nlohmann::json;

/// --metric KEY... as given, else the summary metrics.
std::vector<compare::FinalMetric> metricsOf(const ParsedArgs &a)
{
    std::vector<compare::FinalMetric> metrics;
    if (auto it = a.values.find("--metric"); it != a.values.end())
        for (const auto &key : it->second)
            metrics.push_back(compare::lastOf(key));
    return metrics.empty() ? compare::summaryMetrics() : metrics;
}

/// The runs named, or every run of the store (oldest first) when none are.
Result<std::vector<track::RunInfo>> runsOf(track::RunStore &store,
                                           const std::vector<std::string> &refs)
{
    if (refs.empty()) {
        track::RunQuery query;
        query.sortKey = "id";
        query.descending = false;
        return store.listRuns(query);
    }
    std::vector<track::RunInfo> runs;
    for (const auto &ref : refs) {
        auto run = store.findRun(ref);
        if (!run)
            return std::unexpected(run.error());
        runs.push_back(std::move(*run));
    }
    return runs;
}

json numberJson(double value)
{
    return std::isfinite(value) ? json(value) : json(nullptr);
}

json summaryJson(const stats::Summary &s)
{
    return {
        {"count", s.count},         {"mean", numberJson(s.mean)}, {"std", numberJson(s.stddev)},
        {"min", numberJson(s.min)}, {"max", numberJson(s.max)},   {"median", numberJson(s.median)}};
}

/// "0.9231 ± 0.0012 (0.9215..0.9248)", "-" without values.
std::string summaryText(const stats::Summary &s)
{
    if (s.count == 0)
        return "-";
    char text[96];
    if (s.count == 1)
        std::snprintf(text, sizeof text, "%.4f", s.mean);
    else
        std::snprintf(text, sizeof text, "%.4f ± %.4f (%.4f..%.4f)", s.mean, s.stddev, s.min,
                      s.max);
    return text;
}

} // namespace

int compareGroups(const ParsedArgs &a, track::RunStore &store)
{
    const auto &keys = a.values.at("--group-by");
    const auto metrics = metricsOf(a);
    auto runs = runsOf(store, a.positionals);
    if (!runs)
        return reportError(runs.error());
    const auto groups = track::groupRuns(
        keys, *runs, [&](const track::RunInfo &run) { return compare::runParams(store, run); });
    // summaries[g][m]: group g's metric m.
    std::vector<std::vector<stats::Summary>> summaries;
    json out = json::array();
    for (const auto &group : groups) {
        json values = json::object();
        for (std::size_t i = 0; i < keys.size(); ++i)
            values[keys[i]] = group.values[i];
        auto &row = summaries.emplace_back();
        json metricsJson = json::object();
        for (const auto &metric : metrics) {
            std::vector<double> samples;
            for (const auto id : group.runIds)
                samples.push_back(compare::finalValue(store, id, metric));
            row.push_back(stats::summarize(samples));
            metricsJson[metric.label()] = summaryJson(row.back());
        }
        out.push_back({{"values", values},
                       {"runs", group.runIds},
                       {"count", group.runIds.size()},
                       {"metrics", metricsJson}});
    }
    if (a.has("--json")) {
        std::printf("%s\n", json{{"group_by", keys}, {"groups", out}}.dump(2).c_str());
        return kExitOk;
    }
    // Each key's column is as wide as its name or its widest value, up to 40 characters.
    std::vector<int> widths;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        std::size_t width = keys[i].size();
        for (const auto &group : groups)
            width = std::max(width, group.values[i].size());
        widths.push_back(static_cast<int>(std::min<std::size_t>(width, 40)));
    }
    for (std::size_t i = 0; i < keys.size(); ++i)
        std::printf("%-*.*s ", widths[i], widths[i], keys[i].c_str());
    std::printf("%5s", "runs");
    for (const auto &metric : metrics)
        std::printf("  %-34.34s", metric.label().c_str());
    std::printf("\n");
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (std::size_t i = 0; i < keys.size(); ++i)
            std::printf("%-*.*s ", widths[i], widths[i], groups[g].values[i].c_str());
        std::printf("%5zu", groups[g].runIds.size());
        for (const auto &summary : summaries[g])
            std::printf("  %-34s", summaryText(summary).c_str());
        std::printf("\n");
    }
    if (groups.empty())
        std::printf("(no runs)\n");
    return kExitOk;
}

namespace {

json sideJson(const compare::Side &side, const stats::Summary &summary)
{
    return {{"label", side.label}, {"runs", side.runIds}, {"summary", summaryJson(summary)}};
}

json differencesJson(const std::vector<compare::ConfigDifference> &differences)
{
    json out = json::array();
    for (const auto &d : differences)
        out.push_back({{"key", d.key}, {"a", d.a}, {"b", d.b}});
    return out;
}

int printStatsJson(const compare::Comparison &c, const compare::MetricComparison &m)
{
    json out{{"metric", m.label},
             {"a", sideJson(c.a, m.summaryA)},
             {"b", sideJson(c.b, m.summaryB)},
             {"verdict", m.verdict},
             {"config_diff", differencesJson(c.configDifferences)},
             {"environment_diff", environmentGroupDiffJson(c.environment)},
             {"welch", nullptr},
             {"permutation", nullptr}};
    if (m.welch)
        out["welch"] = {{"difference", m.welch->difference},
                        {"standard_error", m.welch->standardError},
                        {"df", m.welch->degreesOfFreedom},
                        {"t", numberJson(m.welch->t)},
                        {"p", m.welch->pValue},
                        {"ci95", {m.welch->low, m.welch->high}}};
    if (m.permutation)
        out["permutation"] = {{"p", m.permutation->pValue},
                              {"permutations", m.permutation->permutations},
                              {"exact", m.permutation->exact}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
}

std::string joined(const std::vector<std::string> &values)
{
    std::string text;
    for (const auto &v : values)
        text += (text.empty() ? "" : " | ") + v;
    return text;
}

} // namespace

int compareStats(const ParsedArgs &a, track::RunStore &store)
{
    std::vector<compare::SideRef> refs;
    for (const auto &text : a.positionals) {
        auto ref = compare::parseSideRef(store, text);
        if (!ref)
            return reportError(ref.error());
        refs.push_back(std::move(*ref));
    }
    // The metric: --metric, else test accuracy where both sides have it, else the best
    // validation accuracy (compareSides' headline).
    std::vector<compare::FinalMetric> metrics;
    if (auto chosen = a.value("--metric"))
        metrics = {compare::lastOf(*chosen)};
    else
        metrics = {compare::lastOf(std::string(track::keys::kTestAccuracy)),
                   compare::bestOf(std::string(track::keys::kValAccuracy))};
    auto comparison = compare::compareSides(store, refs[0], refs[1], metrics);
    if (!comparison)
        return reportError(comparison.error());
    const auto &c = *comparison;
    if (c.headline < 0)
        return reportError(Error{ErrorCode::NotFound, "neither side has " + metrics.front().label(),
                                 a.positionals[0]});
    const auto &m = c.metrics[std::size_t(c.headline)];
    if (a.has("--json"))
        return printStatsJson(c, m);
    std::printf("%s:\n", m.label.c_str());
    for (const auto &[side, summary] : {std::pair{&c.a, m.summaryA}, std::pair{&c.b, m.summaryB}})
        std::printf("  %-40.40s %3zu run%s  %s\n", side->label.c_str(), summary.count,
                    summary.count == 1 ? " " : "s", summaryText(summary).c_str());
    std::printf("\n%s\n", m.verdict.c_str());
    if (m.summaryA.count < 2 || m.summaryB.count < 2)
        std::printf("(lathe-cli train CONFIG --repeat 5 trains a config with 5 seeds as one "
                    "group)\n");
    if (!c.configDifferences.empty()) {
        std::printf("\nconfig keys that differ:\n");
        for (const auto &d : c.configDifferences)
            std::printf("  %-32s %s  vs  %s\n", d.key.c_str(), joined(d.a).c_str(),
                        joined(d.b).c_str());
    }
    printEnvironmentGroupDiff(c.environment);
    return kExitOk;
}

} // namespace lathe::cli
