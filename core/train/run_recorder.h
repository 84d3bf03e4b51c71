#pragma once

#include "core/track/store_writer.h"
#include "core/train/train_events.h"

#include <cstdint>
#include <string_view>

namespace lathe::train {

/// Records a trainer's events into the store through the batching writer: step and epoch
/// metrics (named by track::keys), evaluations (metrics plus an "eval" event with the confusion
/// matrix and per-class scores), checkpoints as artifacts with their SHA-256, histograms as
/// histogram rows, notes as events, and the run's status. Forwards every event to `next` (may be
/// null) afterwards. Called on the training thread; only enqueues (the writer thread does the SQL),
/// so it costs microseconds a step.
class RunRecorder : public TrainObserver
{
public:
    RunRecorder(track::StoreWriter &writer, std::int64_t runId, TrainObserver *next = nullptr);

    void onStep(const StepEvent &event) override;
    void onEpoch(const EpochEvent &event) override;
    void onEval(const EvalEvent &event) override;
    void onCheckpoint(const CheckpointEvent &event) override;
    void onHistograms(const HistogramEvent &event) override;
    void onNote(const NoteEvent &event) override;
    void onConfigChanged(const std::string &configJson) override;
    void onFinished(TrainOutcome outcome, std::int64_t step) override;
    void onFailed(const Error &error, std::int64_t step) override;

private:
    void metric(std::string_view key, std::int64_t step, double epoch, double wallTime,
                double value);

    track::StoreWriter &m_writer;
    std::int64_t m_runId;
    TrainObserver *m_next;
    TrainObserver m_nullObserver;
};

} // namespace lathe::train
