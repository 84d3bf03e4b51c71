#include "app/cli/compare_groups.h"

#include "app/cli/commands.h"

#include "core/stats/comparison.h"
#include "core/track/metric_keys.h"
#include "core/track/run_groups.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

namespace lathe::cli {

namespace {

using json = nlohmann::json;

/// A final metric of a run: its last value, or its best (max, min for a loss).
struct Metric
{
    std::string key;
    bool best = false;
    bool higherIsBetter = true;

    std::string label() const { return best ? "best " + key : key; }
    /// Accuracies are shown in points (x 100).
    bool inPoints() const { return key.find("accuracy") != std::string::npos; }
};

Metric metricNamed(const std::string &key)
{
    return {key, false, key.find("loss") == std::string::npos};
}

/// --metric KEY... as given, else test accuracy, best validation accuracy and train loss.
std::vector<Metric> metricsOf(const ParsedArgs &a)
{
    std::vector<Metric> metrics;
    if (auto it = a.values.find("--metric"); it != a.values.end())
        for (const auto &key : it->second)
            metrics.push_back(metricNamed(key));
    if (metrics.empty())
        metrics = {metricNamed(std::string(track::keys::kTestAccuracy)),
                   {std::string(track::keys::kValAccuracy), true, true},
                   metricNamed(std::string(track::keys::kTrainLoss))};
    return metrics;
}

double valueOf(track::RunStore &store, std::int64_t runId, const Metric &metric)
{
    const auto value = metric.best ? store.bestMetric(runId, metric.key, metric.higherIsBetter)
                                   : store.lastMetric(runId, metric.key);
    return value && *value ? **value : std::numeric_limits<double>::quiet_NaN();
}

track::RunParams paramsOf(track::RunStore &store, const track::RunInfo &run)
{
    auto params = store.params(run.id);
    return params ? std::move(*params) : track::RunParams{};
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

/// One side of an A/B comparison.
struct Side
{
    std::string label;
    std::vector<track::RunInfo> runs;
};

/// A run (its repeat group when it has one) or KEY=VALUE.
Result<Side> resolveSide(track::RunStore &store, const std::string &ref)
{
    auto run = store.findRun(ref);
    const auto equals = ref.find('=');
    if (!run && equals == std::string::npos)
        return std::unexpected(run.error());
    std::string key, value;
    if (run) {
        key = "repeat";
        value = track::groupValue(key, *run, {});
        if (value == track::kNoGroupValue)
            return Side{"run " + std::to_string(run->id) + " (" + run->name + ")", {*run}};
    } else {
        key = ref.substr(0, equals);
        value = ref.substr(equals + 1);
    }
    auto all = runsOf(store, {});
    if (!all)
        return std::unexpected(all.error());
    Side side{key + "=" + value, {}};
    for (auto &candidate : *all) {
        const auto params = key == "repeat" || key == "sweep" || key == "tags"
                                ? track::RunParams{}
                                : paramsOf(store, candidate);
        if (track::groupValue(key, candidate, params) == value)
            side.runs.push_back(std::move(candidate));
    }
    if (side.runs.empty())
        return fail(ErrorCode::NotFound, "no run has " + side.label, ref);
    return side;
}

/// Config keys whose values differ between the sides (the seed aside: repeats differ in it by
/// design), with each side's set of values.
json configDifferences(track::RunStore &store, const Side &a, const Side &b)
{
    const auto valuesOf = [&](const Side &side) {
        std::map<std::string, std::set<std::string>> values;
        for (const auto &run : side.runs)
            for (auto &[key, value] : paramsOf(store, run))
                values[key].insert(value);
        return values;
    };
    const auto va = valuesOf(a), vb = valuesOf(b);
    std::set<std::string> keys;
    for (const auto *side : {&va, &vb})
        for (const auto &[key, values] : *side)
            keys.insert(key);
    json out = json::array();
    for (const auto &key : keys) {
        if (key == "training.seed")
            continue;
        const auto get = [&](const auto &side) {
            const auto found = side.find(key);
            return found == side.end() ? std::set<std::string>{std::string(track::kNoGroupValue)}
                                       : found->second;
        };
        if (get(va) != get(vb))
            out.push_back({{"key", key}, {"a", get(va)}, {"b", get(vb)}});
    }
    return out;
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
        keys, *runs, [&](const track::RunInfo &run) { return paramsOf(store, run); });
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
                samples.push_back(valueOf(store, id, metric));
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

int compareStats(const ParsedArgs &a, track::RunStore &store)
{
    std::vector<Side> sides;
    for (const auto &ref : a.positionals) {
        auto side = resolveSide(store, ref);
        if (!side)
            return reportError(side.error());
        sides.push_back(std::move(*side));
    }
    const auto samplesOf = [&](const Side &side, const Metric &metric) {
        std::vector<double> samples;
        for (const auto &run : side.runs)
            samples.push_back(valueOf(store, run.id, metric));
        return samples;
    };
    // The metric: --metric, else test accuracy where the runs have it, else the best validation
    // accuracy.
    Metric metric = metricNamed(std::string(track::keys::kTestAccuracy));
    if (auto chosen = a.value("--metric")) {
        metric = metricNamed(*chosen);
    } else if (stats::summarize(samplesOf(sides[0], metric)).count == 0
               || stats::summarize(samplesOf(sides[1], metric)).count == 0) {
        metric = {std::string(track::keys::kValAccuracy), true, true};
    }
    const auto va = samplesOf(sides[0], metric), vb = samplesOf(sides[1], metric);
    stats::VerdictWords words{sides[0].label,
                              sides[1].label,
                              metric.label(),
                              metric.higherIsBetter,
                              metric.inPoints() ? 100.0 : 1.0,
                              metric.inPoints() ? "points" : ""};
    const auto verdict = stats::verdict(va, vb, words);
    const auto differences = configDifferences(store, sides[0], sides[1]);
    const auto sa = stats::summarize(va), sb = stats::summarize(vb);
    if (a.has("--json")) {
        const auto sideJson = [](const Side &side, const stats::Summary &s) {
            json ids = json::array();
            for (const auto &run : side.runs)
                ids.push_back(run.id);
            return json{{"label", side.label}, {"runs", ids}, {"summary", summaryJson(s)}};
        };
        json out{{"metric", metric.label()},    {"a", sideJson(sides[0], sa)},
                 {"b", sideJson(sides[1], sb)}, {"verdict", verdict},
                 {"config_diff", differences},  {"welch", nullptr},
                 {"permutation", nullptr}};
        if (const auto welch = stats::welchTest(va, vb))
            out["welch"] = {{"difference", welch->difference},
                            {"standard_error", welch->standardError},
                            {"df", welch->degreesOfFreedom},
                            {"t", numberJson(welch->t)},
                            {"p", welch->pValue},
                            {"ci95", {welch->low, welch->high}}};
        if (const auto permutation = stats::permutationTest(va, vb);
            permutation && sa.count > 1 && sb.count > 1)
            out["permutation"] = {{"p", permutation->pValue},
                                  {"permutations", permutation->permutations},
                                  {"exact", permutation->exact}};
        std::printf("%s\n", out.dump(2).c_str());
        return kExitOk;
    }
    std::printf("%s:\n", metric.label().c_str());
    for (const auto &[side, summary] : {std::pair{&sides[0], sa}, std::pair{&sides[1], sb}})
        std::printf("  %-40.40s %3zu run%s  %s\n", side->label.c_str(), summary.count,
                    summary.count == 1 ? " " : "s", summaryText(summary).c_str());
    std::printf("\n%s\n", verdict.c_str());
    if (sa.count < 2 || sb.count < 2)
        std::printf("(lathe-cli train CONFIG --repeat 5 trains a config with 5 seeds as one "
                    "group)\n");
    if (!differences.empty()) {
        std::printf("\nconfig keys that differ:\n");
        for (const auto &d : differences) {
            const auto joined = [](const json &values) {
                std::string text;
                for (const auto &v : values)
                    text += (text.empty() ? "" : " | ") + v.get<std::string>();
                return text;
            };
            std::printf("  %-32s %s  vs  %s\n", d["key"].get<std::string>().c_str(),
                        joined(d["a"]).c_str(), joined(d["b"]).c_str());
        }
    }
    return kExitOk;
}

} // namespace lathe::cli
