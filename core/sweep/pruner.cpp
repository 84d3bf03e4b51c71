#include "core/sweep/pruner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

namespace lathe::sweep {

namespace {

using State = TrialRecord::State;

bool prunedByMedian(const PrunerSpec &pruner, Direction direction, const TrialRecord &trial,
                    std::span<const TrialRecord> others, std::int64_t step)
{
    std::vector<const TrialRecord *> completed;
    for (const auto &other : others)
        if (other.number != trial.number && other.state == State::Completed)
            completed.push_back(&other);
    if (completed.empty() || int(completed.size()) < pruner.startupTrials)
        return false;
    if (step < pruner.warmupSteps)
        return false;

    std::optional<double> best;
    bool any = false;
    for (const auto &[at, value] : trial.intermediate) {
        if (at > step)
            break;
        any = true;
        if (!std::isnan(value) && (!best || better(direction, value, *best)))
            best = value;
    }
    if (!any)
        return false;
    if (!best)
        return true; // every value so far is NaN

    std::vector<double> atStep;
    for (const TrialRecord *other : completed)
        if (const auto found = other->intermediate.find(step);
            found != other->intermediate.end() && !std::isnan(found->second))
            atStep.push_back(found->second);
    if (atStep.empty())
        return false;
    std::ranges::sort(atStep);
    const std::size_t n = atStep.size();
    const double median = n % 2 == 1 ? atStep[n / 2] : 0.5 * (atStep[n / 2 - 1] + atStep[n / 2]);
    return better(direction, median, *best);
}

/// The value at the first step >= `rung`, or nullopt when the trial has not reached it.
std::optional<std::pair<std::int64_t, double>> rungValue(const TrialRecord &trial,
                                                         std::int64_t rung)
{
    const auto found = trial.intermediate.lower_bound(rung);
    if (found == trial.intermediate.end())
        return std::nullopt;
    return *found;
}

bool prunedByAsha(const PrunerSpec &pruner, Direction direction, const TrialRecord &trial,
                  std::span<const TrialRecord> others, std::int64_t step)
{
    const auto at = trial.intermediate.find(step);
    if (at == trial.intermediate.end())
        return false;
    const double value = at->second;
    const std::int64_t eta = pruner.reductionFactor;
    for (std::int64_t rung = pruner.minResource; rung <= step;) {
        // Only the rungs this step reaches: earlier ones were decided when they were reached.
        if (const auto reached = rungValue(trial, rung); reached && reached->first == step) {
            if (std::isnan(value))
                return true;
            std::vector<double> competing{value};
            for (const auto &other : others)
                if (other.number != trial.number)
                    if (const auto theirs = rungValue(other, rung);
                        theirs && !std::isnan(theirs->second))
                        competing.push_back(theirs->second);
            // Best first; the trial goes on if it is within the first floor(m / eta).
            std::ranges::sort(competing,
                              [&](double a, double b) { return better(direction, a, b); });
            const std::size_t kept = std::max<std::size_t>(competing.size() / std::size_t(eta), 1);
            if (better(direction, competing[kept - 1], value))
                return true;
        }
        if (rung > std::numeric_limits<std::int64_t>::max() / eta)
            break;
        rung *= eta;
    }
    return false;
}

} // namespace

bool shouldPrune(const PrunerSpec &pruner, Direction direction, const TrialRecord &trial,
                 std::span<const TrialRecord> others, std::int64_t step)
{
    switch (pruner.name) {
    case PrunerSpec::Name::None: return false;
    case PrunerSpec::Name::Median: return prunedByMedian(pruner, direction, trial, others, step);
    case PrunerSpec::Name::Asha: return prunedByAsha(pruner, direction, trial, others, step);
    }
    return false;
}

} // namespace lathe::sweep
