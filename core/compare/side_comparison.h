#pragma once

#include "core/compare/environment_diff.h"
#include "core/stats/comparison.h"
#include "core/track/run_groups.h"
#include "core/track/run_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Two groups of stored runs compared, for `lathe-cli compare A B --stats` and the window's A/B
// Compare dialog alike: the two sides as groups of runs, each final metric's statistics and
// verdict (core/stats/comparison.h), the config keys whose values differ between the sides and
// where the sides ran when that differs (core/compare/environment_diff.h).
// Also the final metrics the grouped tables summarise (`lathe-cli compare --group-by`).
namespace lathe::compare {

/// A final metric of a run: its last value, or its best (max, min for a loss).
struct FinalMetric
{
    std::string key{};
    bool best = false;
    bool higherIsBetter = true;

    /// "best val/accuracy".
    std::string label() const { return best ? "best " + key : key; }
    /// Accuracies are shown in points (x 100).
    bool inPoints() const { return key.find("accuracy") != std::string::npos; }
};

/// The last value of metric `key`; higher is better unless it is a loss.
FinalMetric lastOf(std::string key);
/// The best value of metric `key`.
FinalMetric bestOf(std::string key);
/// test/accuracy, best val/accuracy and train/loss: what a grouped table shows by default.
std::vector<FinalMetric> summaryMetrics();
/// Every final metric an A/B comparison reports: the summary ones, test/loss and val/loss.
std::vector<FinalMetric> comparedMetrics();

/// Run `runId`'s value of `metric`; NaN when it has none. Reads only.
double finalValue(track::RunStore &store, std::int64_t runId, const FinalMetric &metric);
/// Run `run`'s flattened config; empty when it cannot be read. Reads only.
track::RunParams runParams(track::RunStore &store, const track::RunInfo &run);

/// A side as asked for: a run (which stands for its repeat group when it has one), or every run
/// whose group keys (track::groupValue: a config key, "repeat", "sweep", "tags") have `values`,
/// one per key: KEY=VALUE, or a group of the Runs panel's tree, grouped by one key or two (the
/// runs that have both values).
struct SideRef
{
    std::int64_t runId = 0; ///< 0: use keys and values
    std::vector<std::string> keys{}, values{};
};

/// A side as a user types it: a run id or name, or KEY=VALUE. NotFound for an unknown run.
Result<SideRef> parseSideRef(track::RunStore &store, const std::string &text);

/// A side as resolved: what the verdict calls it ("repeat=mlp-20261204T101500", "run 7 (mlp)",
/// "optimizer.name=sgd", "optimizer.name=sgd, model.widths=[16,32]") and its runs, oldest first.
struct Side
{
    std::string label{};
    std::vector<std::int64_t> runIds{};
};

/// One final metric compared: each side's values (NaN for a run without it), their tests and
/// the plain-words verdict. welch and permutation are absent below 2 runs a side.
struct MetricComparison
{
    FinalMetric metric{};
    std::string label{}; ///< "best val/accuracy"
    std::vector<double> a{}, b{};
    stats::Summary summaryA{}, summaryB{};
    std::optional<stats::WelchTest> welch{};
    std::optional<stats::PermutationTest> permutation{};
    stats::VerdictWords words{};
    std::string verdict{};
};

/// A config key whose values differ between the sides: each side's distinct values, sorted
/// (track::kNoGroupValue for a run without the key).
struct ConfigDifference
{
    std::string key{};
    std::vector<std::string> a{}, b{};
};

struct Comparison
{
    Side a{}, b{};
    /// The metrics asked for that either side has, in their order.
    std::vector<MetricComparison> metrics{};
    /// The metric the headline verdict is about: test/accuracy when both sides have it, else
    /// best val/accuracy (as `lathe-cli compare A B --stats`); -1 when there is none.
    int headline = -1;
    /// Config keys that differ, training.seed left out (repeats differ in it by design).
    std::vector<ConfigDifference> configDifferences{};
    /// Where the sides ran, when that differs: "same config, the groups ran on different CPU".
    EnvironmentGroupDiff environment{};
};

/// Resolves both sides and compares them on `metrics`. Two runs of one repeat group are compared
/// as runs alone (their group against itself says nothing). NotFound for an unknown run or values
/// no run has; InvalidArgument for a side without keys or without one value per key. Reads only;
/// call it on the thread that owns `store`.
Result<Comparison> compareSides(track::RunStore &store, const SideRef &a, const SideRef &b,
                                const std::vector<FinalMetric> &metrics = comparedMetrics());

} // namespace lathe::compare
