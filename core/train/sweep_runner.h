// Running a sweep: its spec checked against run configs, and the worker loop that asks the
// store for a trial, trains it as an ordinary run (tagged with its sweep and trial number),
// reports its intermediate objective values to the store, prunes it when the pruner says so,
// and tells the store how it ended. Any number of workers, in any number of processes, may
// work on one sweep: the store hands each trial to one of them (track::SweepStore::askTrial).
#pragma once

#include "core/sweep/sampler.h"
#include "core/sweep/sweep_spec.h"
#include "core/track/sweep_store.h"
#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

namespace lathe::train {

/// The SpecOptions for run configs: prepareBase applies `overrides` ("key=value", as
/// `lathe-cli --set`) and completes the base with every default (RunConfig::fromJson), so a
/// space over a key the file left out is valid; checkConfig refuses what RunConfig refuses.
sweep::SpecOptions sweepSpecOptions(std::vector<std::string> overrides = {});

/// Reads a spec file with sweepSpecOptions, then checks that the runs record its objective
/// metric: "val/..." or "test/..." with loss, accuracy or one of the base config's metrics
/// (InvalidArgument with context "<file>: objective.metric" naming it otherwise). Errors name
/// the file. Never throws.
Result<sweep::SweepSpec> loadSweep(const std::filesystem::path &file,
                                   const std::vector<std::string> &overrides = {});

/// The spec a sweep was stored with (toJson), parsed again. BadInput naming the sweep when
/// it no longer parses (a newer Lathe wrote it, or a config key was renamed).
Result<sweep::SweepSpec> storedSweepSpec(const track::SweepInfo &sweep);

/// The number of trials the sweep runs: its `trials`, at most the grid's size for the grid
/// sampler.
int trialBudget(const sweep::SweepSpec &spec);

/// Worker processes when the user names none: the spec's `workers`, else the cores divided by
/// the threads one trial uses (training.threads; 0 = every core), at least 1.
int defaultSweepWorkers(const sweep::SweepSpec &spec);

/// The stored trials as the samplers, pruners and importance see them (params parsed; a
/// trial whose params do not parse has none).
std::vector<sweep::TrialRecord> trialRecords(std::span<const track::TrialRow> trials);

/// The best completed trial (by the objective's direction), or nullptr.
const track::TrialRow *bestTrial(const sweep::SweepSpec &spec,
                                 std::span<const track::TrialRow> trials);

struct SweepWorkerOptions
{
    std::filesystem::path db;
    /// Optimizer steps per trial; 0 = the sweep's stored limit (its --max-steps at creation).
    std::int64_t maxSteps = 0;
    /// "key=value" applied to every trial's config after its params (as `--set`).
    std::vector<std::string> overrides;
    /// Ctrl-C: the running trial stops (its run is stopped, with a checkpoint) and stays
    /// `running` in the sweep, so that the next worker of this host re-runs it.
    std::stop_token stop;
    /// One line per trial event ("trial 3: asked {...}", "trial 3: pruned at step 2",
    /// "trial 3: completed with value 0.81 (run 12)", "trial 3: failed: <reason>").
    std::function<void(const std::string &)> report;
};

/// What a worker did.
struct SweepWorkerOutcome
{
    int trials = 0;       ///< trials it ended (completed, pruned or failed)
    bool stopped = false; ///< the stop token, or the sweep's stopped status, ended it
};

/// Works on sweep `sweepId` until its budget is spent, `stop` is requested or the sweep's status
/// is set to stopped in the store (by the window's Stop, or any process): ask a trial,
/// apply its params to the spec's base, train it as the run "<sweep>-t<number>" tagged
/// "sweep:<id>" and "trial:<number>", record its objective at each evaluation of the
/// objective's split (step = epoch + 1 or the optimizer step, as the pruner's resource says)
/// and stop it when the pruner says so (its run then ends `pruned`, curves kept), and finish
/// it: completed with its objective (best or last of its series), pruned, or failed with the
/// reason (a config the trainer refuses, a NaN loss, no objective recorded). A failed trial
/// never stops the sweep. The status is read before each ask, at each evaluation and every
/// 2 s of training; a stopped sweep ends the running trial as Ctrl-C does (it stays running,
/// re-run by the next `sweep resume` once this worker is gone), unless its run had ended
/// anyway. When no trial is left to ask and none runs, the sweep is marked finished. Trains on the
/// calling thread. Errors: the store's (naming the file), NotFound for an unknown sweep, BadInput
/// for a stored spec that no longer parses.
Result<SweepWorkerOutcome> runSweepWorker(std::int64_t sweepId, const SweepWorkerOptions &options);

} // namespace lathe::train
