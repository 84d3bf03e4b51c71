// Whether to stop a running trial early, from its intermediate objective values and the other
// trials'. Stateless like the samplers: the caller passes the trials it read from the store and
// asks after each value it records.
#pragma once

#include "core/sweep/sampler.h"
#include "core/sweep/sweep_spec.h"

#include <cstdint>
#include <span>

namespace lathe::sweep {

/// Whether `trial`, which has just recorded its intermediate value at `step` (a key of
/// trial.intermediate, in the pruner's resource unit), should stop. `others` may include the
/// trial itself (matched by number and skipped).
///
/// median (Optuna's MedianPruner): never before `startup_trials` other trials are Completed,
/// nor while step < warmup_steps. Then prune when the trial's best intermediate value over
/// steps <= `step` is worse than the median of the completed trials' values at exactly `step`
/// (the mean of the middle two for an even count; no completed trial with a value there: no
/// pruning). All-NaN values so far prune.
///
/// asha (asynchronous successive halving, as Optuna's SuccessiveHalvingPruner with
/// min_early_stopping_rate 0): rungs at r_k = min_resource * eta^k. A trial's value at rung k is
/// its value at its first step >= r_k, so each trial, running or finished, reaches a rung once.
/// At the step where the trial reaches rung k, its value competes with the rung-k values of
/// every other trial that reached it: it continues only when it is among the best
/// floor(m / eta) of those m values, itself included (the best one when m < eta). A NaN value
/// prunes; NaN values of others do not compete.
///
/// none: never. Never throws.
bool shouldPrune(const PrunerSpec &pruner, Direction direction, const TrialRecord &trial,
                 std::span<const TrialRecord> others, std::int64_t step);

} // namespace lathe::sweep
