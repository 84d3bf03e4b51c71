#pragma once

#include "core/stats/comparison.h"
#include "core/track/run_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// What the A/B Compare dialog shows, read and computed on the store thread: the two sides as
// groups of runs, each final metric's statistics and verdict (core/stats/comparison.h), and the
// config keys whose values differ between the sides.
namespace lathe::panels {

/// A side as asked for: a run (which stands for its repeat group when it has one), or every run
/// whose group key `key` (track::groupValue: a config key, "repeat", "sweep", "tags") has `value`.
struct AbSideRef
{
    std::int64_t runId = 0; ///< 0: use key and value
    std::string key{}, value{};
};

/// A side as resolved: what the verdict calls it ("repeat=mlp-20261204T101500", "run 7 (mlp)",
/// "optimizer.name=sgd") and its runs, oldest first.
struct AbSide
{
    std::string label{};
    std::vector<std::int64_t> runIds{};
};

/// One final metric compared: each side's values (NaN for a run without it), their tests and
/// the plain-words verdict. welch and permutation are absent below 2 runs a side.
struct AbMetric
{
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
struct AbConfigDifference
{
    std::string key{};
    std::vector<std::string> a{}, b{};
};

struct AbComparison
{
    AbSide a{}, b{};
    /// The final metrics either side has, in a fixed order: test/accuracy, best val/accuracy,
    /// test/loss, val/loss, train/loss.
    std::vector<AbMetric> metrics{};
    /// The metric the headline verdict is about: test/accuracy when both sides have it, else
    /// best val/accuracy (as `lathe-cli compare A B --stats`); -1 when there is none.
    int headline = -1;
    /// Config keys that differ, training.seed left out (repeats differ in it by design).
    std::vector<AbConfigDifference> configDifferences{};
};

/// Resolves both sides and compares them. Two runs of one repeat group are compared as runs
/// alone (their group against itself says nothing). NotFound for an unknown run or a key and
/// value no run has. Reads only; call it on the thread that owns `store`.
Result<AbComparison> compareSides(track::RunStore &store, const AbSideRef &a, const AbSideRef &b);

} // namespace lathe::panels
