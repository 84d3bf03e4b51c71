#include "core/compare/side_comparison.h"

#include "core/track/metric_keys.h"
#include "core/track/run_groups.h"
#include "core/train/stored_run.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>

namespace lathe::compare {

namespace {

Side runAlone(const track::RunInfo &run)
{
    return {train::runLabel(run), {run.id}};
}

/// The runs whose `keys` have `values`, through the grouping `lathe-cli compare` uses.
Result<Side> groupSide(track::RunStore &store, const std::vector<track::RunInfo> &runs,
                       const std::vector<std::string> &keys, const std::vector<std::string> &values)
{
    const track::RunGroup wanted{values, {}};
    Side side{wanted.label(keys), {}};
    if (keys.empty() || keys.size() != values.size())
        return fail(ErrorCode::InvalidArgument, "a group side needs one value per key", side.label);
    const auto groups = track::groupRuns(
        keys, runs, [&](const track::RunInfo &run) { return runParams(store, run); });
    for (const auto &group : groups)
        if (group.values == values)
            side.runIds = group.runIds;
    if (side.runIds.empty())
        return fail(ErrorCode::NotFound, "no run has " + side.label, side.label);
    return side;
}

Result<Side> resolveSide(track::RunStore &store, const std::vector<track::RunInfo> &runs,
                         const SideRef &ref)
{
    if (ref.runId == 0)
        return groupSide(store, runs, ref.keys, ref.values);
    auto run = store.run(ref.runId);
    if (!run)
        return std::unexpected(run.error());
    const std::string group = track::groupValue("repeat", *run, {});
    if (group == track::kNoGroupValue)
        return runAlone(*run);
    return groupSide(store, runs, {"repeat"}, {group});
}

MetricComparison compareMetric(track::RunStore &store, const Comparison &sides,
                               const FinalMetric &metric)
{
    MetricComparison out;
    out.metric = metric;
    out.label = metric.label();
    for (const auto id : sides.a.runIds)
        out.a.push_back(finalValue(store, id, metric));
    for (const auto id : sides.b.runIds)
        out.b.push_back(finalValue(store, id, metric));
    out.summaryA = stats::summarize(out.a);
    out.summaryB = stats::summarize(out.b);
    const bool points = metric.inPoints();
    out.words = {sides.a.label,         sides.b.label,        out.label,
                 metric.higherIsBetter, points ? 100.0 : 1.0, points ? "points" : ""};
    out.verdict = stats::verdict(out.a, out.b, out.words);
    out.welch = stats::welchTest(out.a, out.b);
    if (out.summaryA.count > 1 && out.summaryB.count > 1)
        out.permutation = stats::permutationTest(out.a, out.b);
    return out;
}

/// Each side's distinct values of `diff` (one value per run of a, then of b).
ConfigDifference splitBySide(const track::ParamDiff &diff, std::size_t countA)
{
    std::set<std::string> a, b;
    for (std::size_t i = 0; i < diff.values.size(); ++i)
        (i < countA ? a : b).insert(diff.values[i].value_or(std::string(track::kNoGroupValue)));
    return {diff.key, {a.begin(), a.end()}, {b.begin(), b.end()}};
}

Result<std::vector<ConfigDifference>> configDifferences(track::RunStore &store,
                                                        const Comparison &sides)
{
    std::vector<std::int64_t> ids = sides.a.runIds;
    ids.insert(ids.end(), sides.b.runIds.begin(), sides.b.runIds.end());
    auto diffs = store.configDiff(ids);
    if (!diffs)
        return std::unexpected(diffs.error());
    std::vector<ConfigDifference> out;
    for (const auto &diff : *diffs) {
        auto split = splitBySide(diff, sides.a.runIds.size());
        if (diff.key != "training.seed" && split.a != split.b)
            out.push_back(std::move(split));
    }
    return out;
}

/// test/accuracy when both sides have it, else best val/accuracy, else the first metric.
int headlineOf(const std::vector<MetricComparison> &metrics)
{
    const auto indexOf = [&](const std::string &label) {
        const auto it = std::ranges::find(metrics, label, &MetricComparison::label);
        return it == metrics.end() ? -1 : int(it - metrics.begin());
    };
    const int test = indexOf(std::string(track::keys::kTestAccuracy));
    if (test >= 0 && metrics[std::size_t(test)].summaryA.count > 0
        && metrics[std::size_t(test)].summaryB.count > 0)
        return test;
    const int val = indexOf("best " + std::string(track::keys::kValAccuracy));
    return val >= 0 ? val : (metrics.empty() ? -1 : 0);
}

} // namespace

FinalMetric lastOf(std::string key)
{
    const bool higher = key.find("loss") == std::string::npos;
    return {std::move(key), false, higher};
}

FinalMetric bestOf(std::string key)
{
    auto metric = lastOf(std::move(key));
    metric.best = true;
    return metric;
}

std::vector<FinalMetric> summaryMetrics()
{
    return {lastOf(std::string(track::keys::kTestAccuracy)),
            bestOf(std::string(track::keys::kValAccuracy)),
            lastOf(std::string(track::keys::kTrainLoss))};
}

std::vector<FinalMetric> comparedMetrics()
{
    return {lastOf(std::string(track::keys::kTestAccuracy)),
            bestOf(std::string(track::keys::kValAccuracy)),
            lastOf(std::string(track::keys::kTestLoss)), lastOf(std::string(track::keys::kValLoss)),
            lastOf(std::string(track::keys::kTrainLoss))};
}

double finalValue(track::RunStore &store, std::int64_t runId, const FinalMetric &metric)
{
    const auto value = metric.best ? store.bestMetric(runId, metric.key, metric.higherIsBetter)
                                   : store.lastMetric(runId, metric.key);
    return value && *value ? **value : std::numeric_limits<double>::quiet_NaN();
}

track::RunParams runParams(track::RunStore &store, const track::RunInfo &run)
{
    auto params = store.params(run.id);
    return params ? std::move(*params) : track::RunParams{};
}

Result<SideRef> parseSideRef(track::RunStore &store, const std::string &text)
{
    auto run = store.findRun(text);
    if (run)
        return SideRef{run->id, {}, {}};
    const auto equals = text.find('=');
    if (equals == std::string::npos)
        return std::unexpected(run.error());
    return SideRef{0, {text.substr(0, equals)}, {text.substr(equals + 1)}};
}

Result<Comparison> compareSides(track::RunStore &store, const SideRef &a, const SideRef &b,
                                const std::vector<FinalMetric> &metrics)
{
    track::RunQuery query;
    query.sortKey = "id";
    query.descending = false;
    auto runs = store.listRuns(query);
    if (!runs)
        return std::unexpected(runs.error());
    auto sideA = resolveSide(store, *runs, a);
    auto sideB = sideA ? resolveSide(store, *runs, b) : sideA;
    if (!sideB)
        return std::unexpected(sideB.error());
    Comparison out{std::move(*sideA), std::move(*sideB)};
    if (out.a.runIds == out.b.runIds && a.runId != 0 && b.runId != 0) {
        for (auto [ref, side] : {std::pair{&a, &out.a}, std::pair{&b, &out.b}})
            if (auto run = store.run(ref->runId))
                *side = runAlone(*run);
    }
    for (const auto &metric : metrics)
        if (auto row = compareMetric(store, out, metric); row.summaryA.count + row.summaryB.count)
            out.metrics.push_back(std::move(row));
    out.headline = headlineOf(out.metrics);
    auto differences = configDifferences(store, out);
    if (!differences)
        return std::unexpected(differences.error());
    out.configDifferences = std::move(*differences);
    auto environment
        = environmentGroupDiff(store, out.a.runIds, out.b.runIds, out.configDifferences.empty());
    if (!environment)
        return std::unexpected(environment.error());
    out.environment = std::move(*environment);
    return out;
}

} // namespace lathe::compare
