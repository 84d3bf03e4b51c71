#pragma once

#include "core/data/augment_config.h"
#include "core/model/model_spec.h"
#include "core/train/steering.h"
#include "core/util/extension_use.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lathe::train {

/// "data": which dataset and how it is split. Keys: dataset, path, options, classes,
/// train_limit, val_fraction, subset, normalize.
struct DataConfig
{
    /// A registered dataset reader: "fashion-mnist", "idx", "image-folder" or a plugin's ("csv").
    std::string dataset = "fashion-mnist";
    std::string path = "/usr/share/datasets/fashion-mnist"; ///< what the reader reads
    Options options; ///< the reader's own options (e.g. csv's "label"), checked by the reader
    /// Keep only these classes (label indices of the dataset, in this order: they become labels
    /// 0..n-1), in train and test; empty = every class.
    std::vector<std::int64_t> classes;
    /// Use only the first N training samples (after `classes`), before the validation split;
    /// the test set stays whole. 0 = all. A fine-tune on a few labelled images sets this.
    std::int64_t trainLimit = 0;
    double valFraction = 0.1; ///< stratified share of the training set held out, [0, 0.5]
    std::int64_t subset = 0;  ///< use only the first N samples of train and test (0 = all)
    bool normalize = true;    ///< normalise with mean/std measured on the training split
    bool operator==(const DataConfig &) const = default;
};

/// The optimizer names OptimizerConfig::name and makeOptimizer() accept, in display order: sgd,
/// adam, adamw, rmsprop. Thread-safe.
const std::vector<std::string> &optimizerNames();

/// "optimizer". Keys: name (sgd|adam|adamw|rmsprop), lr, weight_decay, momentum, nesterov,
/// beta1, beta2, eps, alpha.
struct OptimizerConfig
{
    std::string name = "adamw";
    double lr = 1e-3;
    double weightDecay = 0.0;
    double momentum = 0.9; ///< sgd, rmsprop
    bool nesterov = false; ///< sgd
    double beta1 = 0.9;    ///< adam, adamw
    double beta2 = 0.999;  ///< adam, adamw
    double eps = 1e-8;     ///< adam, adamw, rmsprop
    double alpha = 0.99;   ///< rmsprop smoothing
    bool operator==(const OptimizerConfig &) const = default;
};

/// "schedule". Keys: type, step_epochs, milestones, gamma, warmup_epochs, min_lr, pct_start,
/// div_factor, final_div_factor, plateau_factor, plateau_patience, plateau_threshold,
/// plateau_cooldown. Epoch-valued keys may be fractional; they are turned into optimizer
/// steps with the run's steps per epoch.
struct ScheduleConfig
{
    /// constant | step | multistep | exponential | cosine | warmup-cosine | one-cycle | plateau
    std::string type = "constant";
    double stepEpochs = 1.0;          ///< step: decay every this many epochs
    std::vector<double> milestones;   ///< multistep: decay at these epochs
    double gamma = 0.1;               ///< step, multistep: factor; exponential: per epoch
    double warmupEpochs = 0.0;        ///< warmup-cosine: linear warm-up length
    double minLr = 0.0;               ///< cosine, warmup-cosine: floor
    double pctStart = 0.3;            ///< one-cycle: share of the run spent rising
    double divFactor = 25.0;          ///< one-cycle: initial lr = lr / div_factor
    double finalDivFactor = 1e4;      ///< one-cycle: final lr = initial / final_div_factor
    double plateauFactor = 0.1;       ///< plateau: multiply lr by this on a plateau
    std::int64_t plateauPatience = 2; ///< plateau: epochs without improvement before cutting
    double plateauThreshold = 1e-4;   ///< plateau: relative improvement that counts
    std::int64_t plateauCooldown = 0; ///< plateau: epochs to wait after a cut
    bool operator==(const ScheduleConfig &) const = default;
};

/// "training". Keys: epochs, batch_size, label_smoothing, grad_clip, accumulate,
/// mixed_precision (off|bf16|fp16), early_stopping_patience, seed, threads, device (cpu|cuda),
/// fused, keep_epoch_checkpoints, sync_batch_norm.
struct TrainingConfig
{
    std::int64_t epochs = 10;
    std::int64_t batchSize = 128;
    double labelSmoothing = 0.0;
    double gradClip = 0.0;                  ///< max global gradient L2 norm; 0 = off
    std::int64_t accumulate = 1;            ///< micro-batches per optimizer step
    std::string mixedPrecision = "auto";    ///< auto | off | bf16 | fp16 (fp16 needs CUDA); auto:
                                            ///< bf16 on a CPU with native bf16, else off
    std::int64_t earlyStoppingPatience = 0; ///< epochs without val improvement; 0 = off
    std::uint64_t seed = 42;
    std::int64_t threads = 0;   ///< LibTorch intra-op threads; 0 = all cores
    std::string device = "cpu"; ///< cpu | cuda
    bool fused = true;          ///< Lathe's fused kernels: Adam/AdamW step, softmax cross-entropy
    /// Also keep epoch-<N>.pt (N = epochs completed) next to last.pt at every epoch end.
    bool keepEpochCheckpoints = true;
    /// Data parallel: each batch norm layer normalises with the statistics of the whole global
    /// batch (every rank's part, as one process computes them: core/dist/sync_batch_norm.h)
    /// instead of its own rank's part; does nothing with one process.
    bool syncBatchNorm = false;
    bool operator==(const TrainingConfig &) const = default;
};

/// "dist": how many processes trained the run (data parallel, core/dist). Keys: world_size,
/// nnodes. Recorded by rank 0 when it creates the run, not a setting: training ignores it, the
/// ranks' config hash leaves it out, and it is written only when world_size is above 1 (absent
/// means one process). nnodes 0: the launcher did not say (no LOCAL_WORLD_SIZE).
struct DistConfig
{
    std::int64_t worldSize = 1;
    std::int64_t nnodes = 1;
    bool operator==(const DistConfig &) const = default;
};

/// "histograms": what training records for the Histograms panel. Keys: every, bins.
/// Every `every` optimizer steps, one histogram of `bins` equal bins over the tensor's own
/// range for each parameter (weights), its gradient and each stage's output (activations).
struct HistogramConfig
{
    /// Optimizer steps between recordings; 0 = off. The default costs well under 1% of the
    /// default config's training time (bench_histograms).
    std::int64_t every = 200;
    std::int64_t bins = 64; ///< bins per histogram, [2, 1024]
    bool operator==(const HistogramConfig &) const = default;
};

/// "finetune": start from trained weights and adapt them. Keys: run, checkpoint, torchscript,
/// safetensors, new_head, freeze, unfreeze_after, lr_multipliers, lora_rank, lora_alpha,
/// lora_dropout, lora_targets, distill_run, distill_checkpoint, distill_temperature,
/// distill_weight. Every key is off by default; a config without this section trains from
/// scratch.
struct FineTuneConfig
{
    /// A run of the same store (id or name) whose checkpoint gives the initial weights; the run
    /// then uses that run's model (arch, widths) and records it as its parent.
    std::string run;
    std::string checkpoint; ///< best | last | epoch-<N>; empty = best, else last
    /// A TorchScript module file (torch.jit.save) trained further as the model's backbone,
    /// followed by a new linear head when its output size differs from the class count.
    std::string torchscript;
    /// A safetensors file whose tensor names match the config's model (e.g. "conv1.weight").
    std::string safetensors;
    /// Re-initialise the last stage even when its shape fits (it always is when the class count
    /// changes).
    bool newHead = false;
    /// Stage names whose parameters are frozen; "backbone" means every stage but the last.
    std::vector<std::string> freeze;
    /// Epochs trained frozen before every stage is unfrozen; 0 = stay frozen.
    std::int64_t unfreezeAfter = 0;
    /// Stage name -> learning-rate multiplier (discriminative learning rates); others use 1.
    std::map<std::string, double> lrMultipliers;
    std::int64_t loraRank = 0;            ///< LoRA on Linear stages when > 0 (base weights frozen)
    double loraAlpha = 8.0;               ///< LoRA scale = alpha / rank
    double loraDropout = 0.0;             ///< dropout on the LoRA path's input
    std::vector<std::string> loraTargets; ///< Linear stages to adapt; empty = every Linear
    std::string distillRun;               ///< teacher run (id or name); empty = no distillation
    std::string distillCheckpoint;        ///< as `checkpoint`, of distill_run
    double distillTemperature = 4.0;
    double distillWeight = 0.5; ///< share of the soft (teacher) loss in the total loss

    bool enabled() const
    {
        return !run.empty() || !torchscript.empty() || !safetensors.empty() || !freeze.empty()
               || loraRank > 0 || !distillRun.empty() || !lrMultipliers.empty();
    }
    bool operator==(const FineTuneConfig &) const = default;
};

/// "privacy": differentially private training, DP-SGD (docs/privacy.md). Keys: enabled,
/// noise_multiplier, target_epsilon, max_grad_norm, delta, physical_batch_size, orders. Each
/// step samples every training example with probability training.batch_size / N (Poisson), clips
/// each example's gradient to max_grad_norm, adds Gaussian noise of noise_multiplier *
/// max_grad_norm and divides by the expected batch. Written only when enabled.
struct PrivacyConfig
{
    bool enabled = false;
    double noiseMultiplier = 0.0; ///< sigma; 0 = solved from target_epsilon for the run's length
    double targetEpsilon = 0.0;   ///< 0 = use noise_multiplier
    double maxGradNorm = 1.0;     ///< C: each example's gradient is clipped to this L2 norm
    double delta = 0.0;           ///< 0 = 1/N rounded down to a power of ten
    std::int64_t physicalBatchSize = 0; ///< samples per forward pass; 0 = the whole batch at once
    std::vector<double> orders;         ///< RDP orders; empty = the accountant's defaults
    bool operator==(const PrivacyConfig &) const = default;
};

/// "adversarial": adversarial training (docs/robustness.md; core/robust makes the examples
/// through the trainer's AdversarialTraining seam). Keys: enabled, attack (fgsm|pgd), epsilon,
/// steps, step_size, random_start, mix_ratio, eval_samples, eval_steps. Epsilon and step_size
/// are in pixel units (images in [0, 1]), whatever data.normalize does. Written only when
/// enabled.
struct AdversarialConfig
{
    bool enabled = false;
    std::string attack = "pgd"; ///< fgsm (one step, with random_start: "fast" FGSM) | pgd
    double epsilon = 0.1;       ///< L-infinity radius, (0, 1]
    std::int64_t steps = 7;     ///< pgd: iterations, >= 1
    double stepSize = 0.0;      ///< 0 = pgd 2.5·epsilon/steps, fgsm 1.25·epsilon (random start)
    bool randomStart = true;
    double mixRatio = 1.0;          ///< share of each batch replaced by its adversarial examples
    std::int64_t evalSamples = 500; ///< validation samples attacked each epoch; 0 = none
    std::int64_t evalSteps = 10;    ///< PGD steps of that evaluation (at `epsilon`)
    bool operator==(const AdversarialConfig &) const = default;
};

/// Every hyperparameter of a run. JSON round-trips exactly: fromJson(toJson(c)) == c.
/// Top-level keys: name, data, model, optimizer, schedule, training, augment (augment keys:
/// enabled, crop_padding, hflip, rotate_deg, translate, erase_prob, erase_max_area),
/// histograms, metrics (registered metrics computed at every evaluation, each {"name": ...,
/// option: value}; written only when there are any), and steering (changes made while the run
/// was paused; written only when there are any). Names of datasets, models, metrics,
/// augmentations and schedules are checked against the plugin registry. "finetune" is written
/// only when it is enabled(), "dist" only for a data-parallel run, "privacy" and "adversarial" only
/// when enabled.
struct RunConfig
{
    std::string name = "run";
    DataConfig data;
    model::ModelSpec model;
    OptimizerConfig optimizer;
    ScheduleConfig schedule;
    TrainingConfig training;
    data::AugmentConfig augment;
    HistogramConfig histograms;
    std::vector<ExtensionUse> metrics;
    FineTuneConfig finetune;
    AdversarialConfig adversarial;
    std::vector<SteerPoint> steering; ///< ascending by step; see steering.h
    DistConfig dist;                  ///< recorded, not a setting (see DistConfig)
    PrivacyConfig privacy;            ///< DP-SGD; see PrivacyConfig
    bool operator==(const RunConfig &) const = default;

    /// Parses and validates. Missing keys take the defaults above. An unknown key's error
    /// names the valid keys of its object; a bad value's error names the dotted key, the value
    /// and the allowed range or choices (context = the dotted key path, e.g.
    /// "optimizer.lr"). Never throws.
    static Result<RunConfig> fromJson(const nlohmann::json &json);
    nlohmann::json toJson() const;
};

/// Reads a config file's JSON without validating it (to apply overrides first). Io error
/// naming the path when it cannot be read; BadInput naming the file, line and column for a
/// syntax error.
Result<nlohmann::json> readConfigJson(const std::string &path);

/// Reads and validates a config file; errors name the file (and the line for JSON syntax).
Result<RunConfig> loadRunConfig(const std::string &path);

/// Applies one "--set" override "a.b.c=value" to raw config JSON before validation. The value
/// is parsed as JSON when it is valid JSON (numbers, true, [1,2]), else taken as a string.
/// Intermediate objects are created as needed. Errors name the override.
Result<void> applyOverride(nlohmann::json &json, const std::string &assignment);

} // namespace lathe::train
