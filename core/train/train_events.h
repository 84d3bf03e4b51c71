#pragma once

#include "core/track/store_types.h"
#include "core/train/evaluator.h"
#include "core/util/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lathe::train {

/// How a training run ended without an error.
enum class TrainOutcome {
    Finished,     ///< every epoch ran
    EarlyStopped, ///< validation stopped improving for `early_stopping_patience` epochs
    StepLimit,    ///< the caller's max-steps limit was reached
    Stopped,      ///< stop was requested; a checkpoint of the exact position was written
};
const char *toString(TrainOutcome outcome);

/// A data-parallel step's spread over the ranks, in seconds.
struct DistStepTimes
{
    double maxSeconds = 0.0;  ///< the slowest rank's step
    double meanSeconds = 0.0; ///< the ranks' mean step
    double commSeconds = 0.0; ///< rank 0's gradient reduction, first launch to all back
    double waitSeconds = 0.0; ///< the part of it not hidden behind backward
};

/// One optimizer step. `epoch` is fractional (2.5 = half-way through the third epoch).
struct StepEvent
{
    std::int64_t step = 0; ///< optimizer steps done, counting this one (1-based)
    double epoch = 0.0;
    double loss = 0.0;                    ///< mean training loss over the step's micro-batches
    double accuracy = 0.0;                ///< training accuracy over the step's micro-batches
    double lr = 0.0;                      ///< learning rate this step used
    double samplesPerSecond = 0.0;        ///< measured every few steps; 0 when not measured
    double wallTime = 0.0;                ///< unix seconds
    std::optional<DistStepTimes> dist;    ///< set when the run is data parallel
    std::optional<double> privacyEpsilon; ///< DP-SGD: epsilon spent so far, at privacyDelta
    std::optional<double> privacyDelta;   ///< DP-SGD: the run's delta
};

/// The end of a training epoch (index 0-based; `step` is the steps done so far).
struct EpochEvent
{
    std::int64_t epoch = 0;
    std::int64_t step = 0;
    double trainLoss = 0.0;
    double trainAccuracy = 0.0;
    double seconds = 0.0;
    double wallTime = 0.0;
};

/// An evaluation on "val" (each epoch) or "test" (at the end).
struct EvalEvent
{
    std::string split;
    std::int64_t epoch = 0;
    std::int64_t step = 0;
    EvalResult result;
    double wallTime = 0.0;
};

/// A checkpoint file written: kind "last" (each epoch and on stop), "best", or "epoch-N" (N =
/// epochs completed; kept at each epoch end when training.keep_epoch_checkpoints is set).
struct CheckpointEvent
{
    std::string kind;
    std::string path;
    std::int64_t epoch = 0;
    std::int64_t step = 0;
    double wallTime = 0.0;
};

/// One histogram of one tensor: `counts` are equal bins over [min, max], the finite range of
/// the tensor (NaN and Inf elements are not counted; `nonFinite` says how many there were).
struct TensorHistogram
{
    std::string name; ///< parameter ("conv1.weight") or stage ("relu1") name
    track::HistogramKind kind = track::HistogramKind::Weights;
    double min = 0.0;
    double max = 0.0;
    std::vector<std::uint32_t> counts;
    std::int64_t nonFinite = 0;
};

/// The histograms recorded at one optimizer step (every histograms.every steps): weights after
/// the step's update, gradients before it, activations of the step's forward pass (its first
/// micro-batch).
struct HistogramEvent
{
    std::int64_t step = 0;
    double wallTime = 0.0;
    std::vector<TensorHistogram> histograms;
};

/// Something worth marking on the run's timeline: "paused", "resumed", "lr_reduced", ...
struct NoteEvent
{
    std::string kind;
    std::int64_t step = 0;
    std::string payloadJson = "{}";
    double wallTime = 0.0;
};

/// Receives a trainer's events on the training thread, in order. Implementations must be
/// quick (queue and return): the trainer waits for them.
class TrainObserver
{
public:
    virtual ~TrainObserver() = default;
    virtual void onStep(const StepEvent &) {}
    virtual void onEpoch(const EpochEvent &) {}
    virtual void onEval(const EvalEvent &) {}
    virtual void onCheckpoint(const CheckpointEvent &) {}
    virtual void onHistograms(const HistogramEvent &) {}
    virtual void onNote(const NoteEvent &) {}
    /// The run's config changed while it ran (a steering change); `configJson` is the whole
    /// new config, which reproduces the run so far.
    virtual void onConfigChanged(const std::string & /*configJson*/) {}
    virtual void onFinished(TrainOutcome, std::int64_t /*step*/) {}
    virtual void onFailed(const Error &, std::int64_t /*step*/) {}
};

} // namespace lathe::train
