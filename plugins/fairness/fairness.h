// The fairness metric: accuracy and true-positive rate per group of samples, grouped by one
// attribute of the dataset (a tabular dataset's column), and the gaps between the groups.
#pragma once

#include "lathe/plugin.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lathe::fairness {

/// The metric's options (its entry in the config's "metrics" list). Keys: column (required),
/// threshold, positive_class.
struct FairnessOptions
{
    std::string column;                        ///< the attribute to group by
    std::optional<double> threshold;           ///< groups "<= t" and "> t" when set
    std::optional<std::int64_t> positiveClass; ///< TPR = its recall; unset = macro recall
};

/// Parses `options`, resolving positive_class (a class name or index) against `classNames`.
/// Throws std::runtime_error naming the key for a missing column, an unknown key or a bad value.
FairnessOptions parseFairnessOptions(const sdk::Options &options,
                                     const std::vector<std::string> &classNames);

/// How samples fall into groups by their attribute value: at a threshold into two groups, or
/// one group per distinct value.
class Grouping
{
public:
    /// From the whole column `values`: the given threshold, else one group per distinct value
    /// when there are at most kMaxDistinct of them, else a threshold at the lower median (a
    /// value of the column, so the group names show a number of the data).
    static Grouping fromColumn(const std::string &column, std::vector<double> values,
                               std::optional<double> threshold);

    static constexpr std::size_t kMaxDistinct = 8;

    /// The group of `value`: an ordering key (groups are reported in key order) and its name,
    /// e.g. "alcohol<=13.05", "alcohol>13.05" or "sex=1". A value the column did not hold gets
    /// a group of its own in distinct mode.
    std::pair<double, std::string> groupOf(double value) const;

    bool byThreshold() const { return m_threshold.has_value(); }
    std::optional<double> threshold() const { return m_threshold; }

private:
    std::string m_column;
    std::optional<double> m_threshold;
};

/// Sets up the metric for a run: checks the options against `args.dataset`'s attributes and
/// fixes the grouping from its column. The function it returns computes, per evaluation, for
/// each non-empty group g "accuracy/<g>" and "tpr/<g>" (omitted when the positive class does
/// not occur in g), then "accuracy_gap" and "tpr_gap" (max minus min over the groups that have
/// the value); nothing for a split without samples. Both throw std::runtime_error with a
/// message naming the option or the input at fault. The function is safe to call from several
/// threads at once.
sdk::MetricFunction setUpFairness(const sdk::MetricArgs &args);

} // namespace lathe::fairness
