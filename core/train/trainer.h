#pragma once

#include "core/data/dataset.h"
#include "core/data/loader.h"
#include "core/model/net.h"
#include "core/plugin/registry.h"
#include "core/train/adversarial_training.h"
#include "core/train/checkpoint.h"
#include "core/train/data_parallel.h"
#include "core/train/finetune.h"
#include "core/train/lr_schedule.h"
#include "core/train/private_training.h"
#include "core/train/run_config.h"
#include "core/train/run_setup.h"
#include "core/train/step_histograms.h"
#include "core/train/train_events.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

namespace lathe::train {

/// Per-call options that are not hyperparameters (they do not change what is learnt).
struct TrainerOptions
{
    /// last.pt, best.pt and epoch-<N>.pt go here; empty = none
    std::filesystem::path checkpointDir;
    std::int64_t maxSteps = 0;         ///< stop after this many optimizer steps; 0 = none
    std::int64_t throughputEvery = 20; ///< steps between samples/s measurements
    /// Evaluate the test set when training ends (data parallel: the same on every rank).
    bool evaluateTest = true;
    /// When set, replaces the schedule: the rate for 0-based optimizer step s (the LR finder's
    /// sweep). Called on the training thread.
    std::function<double(std::int64_t)> lrOverride;
    /// The checkpoints a fine-tune starts from (RunJob resolves finetune.run/distill_run).
    FineTuneSources fineTune;
    /// Set: this trainer is one rank of a data-parallel run (data_parallel.h). It trains on its
    /// part of each global batch of training.batch_size, its gradients reduced over the ranks
    /// before each optimizer step; the step's loss, accuracy and samples are every rank's; a
    /// stop requested on any rank stops all after the same step. Only rank 0 should be given
    /// an observer and a checkpoint directory. Pausing is not supported.
    std::shared_ptr<DataParallel> dataParallel;
    /// Set: training steps learn from adversarial examples and each validation adds
    /// val/robust_accuracy (adversarial_training.h). Left empty with adversarial.enabled, the
    /// installed factory (setAdversarialTrainingFactory) makes it; none installed is an error.
    std::shared_ptr<AdversarialTraining> adversarial;
    /// Set: DP-SGD for this run (private_training.h); left empty with privacy.enabled, the
    /// installed factory's (makePrivateTraining).
    std::shared_ptr<PrivateTraining> privateTraining;
};

/// Trains one run: the loop, evaluation, checkpoints, the NaN guard, pause and stop.
/// Thread-safety: construct anywhere; run() on one thread (the training thread); pause(),
/// resume() and the stop token from any thread. Events reach the observer on the training
/// thread. Knows nothing of Qt or of the store (see RunRecorder).
class Trainer
{
public:
    /// Sets the thread count (training.threads) and seeds LibTorch's global generator with
    /// training.seed, then builds the model (setUpRun), optimizer, schedule and loaders for
    /// `config` on `data`: the training thread owns that global state. To open a stored run
    /// without touching it, use openRun.
    static Result<std::unique_ptr<Trainer>> create(const RunConfig &config, TrainData data,
                                                   TrainerOptions options);
    ~Trainer();

    /// Continues from a checkpoint (model, optimizer, RNG, position, best-so-far), so that
    /// run() goes on exactly where the checkpoint was written. Errors name the file.
    Result<void> restore(const std::filesystem::path &checkpoint);

    void setObserver(TrainObserver *observer) { m_observer = observer; }
    /// Where last.pt, best.pt and epoch-<N>.pt go (empty = no checkpoints). Set before run().
    void setCheckpointDir(std::filesystem::path dir) { m_options.checkpointDir = std::move(dir); }

    /// Trains until the last epoch, early stopping, the step limit, or `stop` is requested;
    /// each ends with a "last" checkpoint and onFinished(). Every epoch end writes "last"
    /// (and "best" when validation improved, and "epoch-<N>" when
    /// training.keep_epoch_checkpoints is set); every histograms.every steps the step's
    /// histograms go to onHistograms(). A NaN/Inf loss or a LibTorch error
    /// ends the run with an Error (ErrorCode::Training) and onFailed(); the checkpoint files
    /// from before the failure are left as they were. Call once per Trainer.
    Result<TrainOutcome> run(std::stop_token stop = {});

    /// Blocks the training loop at the next step boundary until resume() (or a stop).
    void pause();
    void resume();
    bool isPaused() const { return m_paused.load(); }

    /// Steers a paused run: from the step it resumes at, the schedule's rate is multiplied by
    /// change.lrScale, weight decay becomes change.weightDecay and augmentation is scaled by
    /// change.augmentStrength (change.step is ignored). The change is appended to the config's
    /// `steering` list (so a run of that config reproduces it), reported as a "steered" note and
    /// through onConfigChanged(). InvalidArgument when the run is not paused or a value is out
    /// of range. Thread-safe.
    Result<void> steer(SteerPoint change);
    /// The steering in effect now (defaults from the config before any change). Thread-safe.
    SteerPoint steering() const;

    model::Net &net() { return m_net; }
    const RunConfig &config() const { return m_config; }
    /// What prepareModel did to the model (finetune.h): weights copied, frozen layers, LoRA,
    /// the imported model ("imported"); null for a plain run.
    const nlohmann::json &fineTuneSummary() const { return m_fineTuneSummary; }
    const TrainState &state() const { return m_state; }
    std::int64_t stepsPerEpoch() const { return m_stepsPerEpoch; }
    std::int64_t totalSteps() const { return m_stepsPerEpoch * m_config.training.epochs; }
    std::int64_t numClasses() const { return m_numClasses; }
    /// The standardisation every loader applies (measured on the training split at set-up).
    const data::Normalization &normalization() const { return m_normalization; }
    const TrainData &data() const { return m_data; }
    std::int64_t maxSteps() const { return m_options.maxSteps; }
    /// DP-SGD's spending so far; nullopt for a run without privacy.
    std::optional<PrivacyReport> privacyReport() const;
    /// Evaluates the current weights on the test set (or validation if there is none). Data
    /// parallel it is a collective: every rank calls it, evaluates its part, and gets the sums.
    Result<EvalResult> evaluateTest();

private:
    /// Raised inside the loop for failures that end the run with a message; caught in run().
    struct RunFailure
    {
        Error error;
    };
    Trainer(RunConfig config, TrainData data, TrainerOptions options);
    Result<void> setUp();
    Result<TrainOutcome> loop(std::stop_token stop);
    enum class EpochEnd { Completed, Stopped, StepLimit };
    Result<EpochEnd> trainEpoch(std::stop_token stop);
    /// DP-SGD's epoch (trainer_private.cpp): Poisson batches, per-example clipping, noise.
    Result<EpochEnd> trainPrivateEpoch(std::stop_token stop);
    /// Before a step: waits while paused, then applies steering and starts the step's clock.
    /// Returns how the epoch ends instead when a stop was asked or the step limit is reached.
    std::optional<EpochEnd> beginStep(const std::stop_token &stop);
    Result<void> setUpPrivacy(const torch::Tensor &train);
    struct StepStats
    {
        double lossSum = 0.0;
        double correct = 0.0;
        std::int64_t samples = 0;
        std::int64_t microBatches = 0;
    };
    Result<bool> endEpoch(double seconds);
    Result<void> optimizerStep(const StepStats &stats, const std::stop_token &stop);
    /// One DP-SGD step's passes over `batch` (dataset indices), ending with the noised .grad.
    Result<StepStats> privateStep(const std::vector<std::int64_t> &batch);
    /// Data parallel: this rank's train loader for `epoch` (its part of each global batch).
    Result<void> loadShard(std::int64_t epoch);
    /// Whether to stop before the next step: asked here, or, data parallel, on any rank.
    bool stopRequested(const std::stop_token &stop) const;
    /// Data parallel: rank 0's buffers on every rank before an evaluation (no-op otherwise).
    Result<void> syncBuffers();
    Error nanError(double value) const;
    /// Adversarial training: val/robust_accuracy on the first eval_samples of validation.
    void addRobustAccuracy(EvalResult &result);
    /// Evaluates on `split` ("val" or "test") and computes the config's metrics on it.
    EvalResult evaluateOn(data::Loader &loader, const std::string &split);
    /// Data parallel over more than one rank: each rank evaluates its part of `split` (the
    /// sampler's rule), the sums (and, for the config's metrics, the logits) summed over ranks,
    /// so every rank gets what one process would. Throws RunFailure when a rank is gone.
    EvalResult evaluateParts(const std::string &split);
    /// The loaders of this rank's parts of validation and test (data parallel, N > 1).
    Result<void> setUpEvalParts(const torch::Tensor &val, const data::LoaderOptions &options);
    /// `loader`'s batches from its start, on the device; their labels kept in `labels` if given.
    BatchSource evalBatches(data::Loader &loader, std::vector<torch::Tensor> *labels);
    std::vector<std::pair<std::string, double>> computeMetrics(const torch::Tensor &logits,
                                                               const torch::Tensor &labels,
                                                               const std::string &split);
    using ExtraAugment = std::function<torch::Tensor(const torch::Tensor &, std::uint64_t)>;
    /// augment.extra set up through the registry, composed into one function (empty if none).
    Result<ExtraAugment> setUpExtraAugment() const;
    Result<void> setUpModel(RunSetUp setUp);
    Result<void> setUpOptimizer();
    /// Unfreezes the frozen stages when finetune.unfreeze_after epochs are done.
    void unfreezeIfDue();
    /// The step's loss (and its backward pass) for `logits` of `x` against `y`.
    Result<torch::Tensor> lossAndBackward(const torch::Tensor &x, const torch::Tensor &logits,
                                          const torch::Tensor &y, double scale);
    Result<void> writeCheckpoint(const std::string &kind);
    Result<void> keepEpochCheckpoint();
    void waitWhilePaused(std::stop_token stop);
    /// Data parallel: every rank waits, polling rank 0's pause and any rank's stop a few times a
    /// second (an exchange), until rank 0 resumes or some rank stops. Throws RunFailure when a
    /// rank is gone.
    void waitWhilePausedTogether(const std::stop_token &stop);
    void applyPendingSteer();
    void applySteering();
    /// The values in effect before any steering point: the config's own.
    SteerPoint unsteered() const;
    double currentLr() const;
    torch::Tensor toDevice(const torch::Tensor &x) const;

    RunConfig m_config;
    TrainData m_data;
    TrainerOptions m_options;
    TrainObserver m_nullObserver;
    TrainObserver *m_observer = &m_nullObserver;

    model::Net m_net{nullptr};
    std::unique_ptr<torch::optim::Optimizer> m_optimizer;
    std::unique_ptr<LrSchedule> m_schedule;
    std::unique_ptr<PlateauTracker> m_plateau;
    std::unique_ptr<data::Loader> m_trainLoader, m_valLoader, m_testLoader;
    std::unique_ptr<data::Loader> m_valPart, m_testPart; // data parallel: this rank's parts
    // Data parallel: the training split, the train loader's options and the epoch it serves.
    std::vector<std::int64_t> m_trainIndices;
    data::LoaderOptions m_trainLoaderOptions;
    std::int64_t m_shardEpoch = -1;
    bool m_stopAgreed = false;  // some rank was asked to stop (the last step's exchange)
    bool m_pauseAgreed = false; // rank 0 was asked to pause (the last step's exchange)
    double m_stepStart = 0.0;   // monotonic time the step's first micro-batch began
    torch::Tensor m_valIndices; // the validation split's samples, in the val loader's order
    std::vector<std::pair<std::string, plugin::ComputeMetric>> m_metrics; // setUpMetrics()
    nlohmann::json m_fineTuneSummary;     // what prepareModel did (null for a plain run)
    std::vector<std::string> m_frozen;    // stages frozen now
    std::vector<double> m_groupLrScales;  // per optimizer parameter group
    std::optional<Distiller> m_distiller; // finetune.distill_run
    bool m_fusedStep = false;             // the fused Adam kernel steps the optimizer
    torch::Device m_device{torch::kCPU};
    bool m_channelsLast = false;
    data::Normalization m_normalization;
    std::int64_t m_numClasses = 0;
    std::int64_t m_stepsPerEpoch = 0;
    TrainState m_state;
    StepStats m_epochStats; // what this epoch's completed steps saw
    StepHistograms m_histograms{HistogramConfig{}};

    std::atomic<bool> m_paused{false};
    mutable std::mutex m_pauseMutex; // also guards m_pendingSteer and m_config.steering writes
    std::optional<SteerPoint> m_pendingSteer;
    SteerPoint m_activeSteer; // what the optimizer and the train loader use now (step unused)
    std::condition_variable_any m_pauseCv;

    // Throughput window.
    std::int64_t m_windowSamples = 0;
    double m_windowStart = 0.0;
};

} // namespace lathe::train
