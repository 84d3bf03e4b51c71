// Asking for a trial: the next trial's params from the spec and the trials so far. Stateless:
// an ask/tell loop reads the trial history from the store, calls sampleTrial, and records the
// trial (in the same transaction, so two workers never take one grid point).
//
// TPE follows Optuna's TPESampler with its defaults in independent (univariate) mode:
// - Start-up: while fewer than `startup_trials` trials are Completed (with a finite value) or
//   Pruned, every dimension is drawn as by the random sampler (the same draws for one seed).
// - Split: n = those trials; the gamma(n) = min(ceil(0.1 n), 25) best completed ones (by the
//   direction) are "good"; when fewer completed trials exist, pruned ones fill the good set,
//   ranked as Optuna ranks them: more steps reported first, then by their last intermediate
//   value (NaN last). Every other completed or pruned trial is "bad"; running and failed
//   trials are left out.
// - Per dimension, in the space's order, only if active for the params drawn so far: a Parzen
//   estimator l(x) of the good trials and g(x) of the bad ones, each over the trials where the
//   dimension was active (and its value lies in the space), weighted by Optuna's default
//   weights in trial order (a ramp down for all but the newest 25), plus a prior kernel of
//   weight 1. Numeric kernels are truncated normals with Optuna's bandwidth rule (the larger
//   gap to the sorted neighbours, magic-clipped to [range / min(100, n + 2), range]; not
//   Scott's rule); log_uniform dimensions live in log space; int dimensions are discretised on
//   their step grid. Categorical kernels put 1 on the observed value and prior / (n + 1) on
//   every value.
// - `candidates` draws from l(x); the one with the largest log l(x) - log g(x) is kept.
//
// Randomness: std::mt19937_64 seeded from (sampler seed, trial number, dimension key), the
// draws built from its raw words, so a trial's params depend only on the seed, its number and
// the history, on every platform (up to the last bit of libm's exp/log/erfc).
#pragma once

#include "core/sweep/search_space.h"
#include "core/sweep/sweep_spec.h"
#include "core/util/error.h"

#include <cstdint>
#include <map>
#include <optional>
#include <span>

namespace lathe::sweep {

/// One trial as the samplers, pruners and importance see it.
struct TrialRecord
{
    enum class State { Running, Completed, Pruned, Failed };
    int number = 0;
    Params params;
    State state = State::Running;
    std::optional<double> value;                 ///< the objective, for a completed trial
    std::map<std::int64_t, double> intermediate; ///< step (in the pruner's unit) -> objective
};

/// The params of trial `number` (random, grid or tpe, as the spec says). `history` holds every
/// trial of the sweep so far in any state and order (the one being asked may be absent).
/// Deterministic for (seed, number, history). Grid: the first point of gridPoints() that no
/// trial in history has (running and failed ones count, so K workers cover the grid once);
/// NotFound "the grid is exhausted ..." when every point has one. Never throws.
Result<Params> sampleTrial(const SweepSpec &spec, std::span<const TrialRecord> history, int number);

} // namespace lathe::sweep
