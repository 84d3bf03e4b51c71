#pragma once

#include "core/track/run_store.h"
#include "core/track/store_writer.h"
#include "core/train/stored_run.h"
#include "core/train/run_recorder.h"
#include "core/train/trainer.h"
#include "core/util/error.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace lathe::train {

/// Per-job options that are not hyperparameters.
struct RunJobOptions
{
    std::filesystem::path db;        ///< the experiment store
    std::string name;                ///< run name; empty = the config's name
    std::int64_t maxSteps = 0;       ///< stop after this many optimizer steps (0 = no limit)
    std::vector<std::string> tags{}; ///< tags a new run gets when it is created
    /// Set: the job is rank 0 of a data-parallel run (TrainerOptions::dataParallel); the other
    /// ranks train without a job and write nothing to the store.
    std::shared_ptr<DataParallel> dataParallel = {};
    /// Set: createNew trains on these datasets instead of loading the config's (a K-fold run
    /// trains on its folds, core/train/cross_val_probabilities.h); the stored config is
    /// unchanged, so the run's own record says how it differs.
    std::optional<TrainData> data = {};
};

/// One training job against the store: the trainer, its run row, the batching writer and the
/// recorder that connects them. The GUI's RunSession and `lathe-cli train/resume` both use
/// it, so a run behaves the same wherever it was started. Create on any thread; run() on the
/// training thread; trainer().pause()/resume() from any thread.
class RunJob
{
public:
    /// Validates `config`, loads its data and builds the trainer before touching the store, so
    /// a bad config or missing dataset leaves the store unchanged; then creates the run
    /// (status created).
    static Result<std::unique_ptr<RunJob>> createNew(const RunConfig &config,
                                                     RunJobOptions options);

    /// Prepares to continue run `runRef` (id or name) from its last checkpoint with the config
    /// it was started with. Refuses finished runs. Metric rows the run stored after that
    /// checkpoint (an interrupted run's last partial epoch) are dropped, since training
    /// writes them again.
    static Result<std::unique_ptr<RunJob>> resumeExisting(std::string_view runRef,
                                                          RunJobOptions options);
    /// A data-parallel rank other than 0 training a new run beside rank 0's createNew(): the same
    /// trainer, with no checkpoint directory and nothing written. A fine-tune's stored runs
    /// (finetune.run, finetune.distill_run) are resolved as createNew() does, through the store
    /// opened for reading (so every rank needs it: one node, or a shared file system); without
    /// them the store is not opened. Errors: createNew()'s before the run row.
    static Result<std::unique_ptr<Trainer>> newRankTrainer(const RunConfig &config,
                                                           RunJobOptions options);
    /// A data-parallel rank other than 0 resuming run `runRef` beside rank 0's resumeExisting():
    /// the same trainer, restored from the same checkpoint, with no checkpoint directory and
    /// without writing to the store (it is opened for reading). The run's status is rank 0's to
    /// check. Errors: resumeExisting()'s.
    static Result<std::unique_ptr<Trainer>> resumeTrainer(std::string_view runRef,
                                                          RunJobOptions options);

    /// Marks the run running, trains until done/stopped/failed, records everything, and
    /// flushes the writer before returning. The run ends as finished, stopped (Ctrl-C, step
    /// limit) or failed (with the error message stored).
    Result<TrainOutcome> run(std::stop_token stop = {});

    /// Also sends every event to `observer` (a progress display); set before run().
    void setObserver(TrainObserver *observer) { m_observer = observer; }

    std::int64_t runId() const { return m_runId; }
    /// The run's stored name: the one asked for, with a suffix when another run had it.
    const std::string &runName() const { return m_runName; }
    Trainer &trainer() { return *m_trainer; }

private:
    RunJob() = default;
    Result<void> openStore(const std::filesystem::path &db);

    RunJobOptions m_options;
    std::unique_ptr<track::RunStore> m_store;
    std::unique_ptr<track::StoreWriter> m_writer;
    std::unique_ptr<Trainer> m_trainer;
    std::unique_ptr<RunRecorder> m_recorder;
    TrainObserver *m_observer = nullptr;
    std::int64_t m_runId = 0;
    std::string m_runName;
};

} // namespace lathe::train
