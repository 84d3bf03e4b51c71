#pragma once

#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::train {

struct ScheduleConfig;

/// The schedule types RunConfig accepts: the built-ins ("constant", "step", ...) in display
/// order, then those plugins registered (plugin::registry()). Thread-safe.
std::vector<std::string> scheduleTypeNames();

/// The learning rate as a pure function of the optimizer step, so a schedule can be plotted
/// before training and needs no state in a checkpoint. `step` is the 0-based index of the
/// optimizer step the rate is used for. Epoch-valued keys (step_epochs, milestones,
/// warmup_epochs) are rounded to whole steps with `stepsPerEpoch`; "exponential" decays
/// continuously (gamma^(step / stepsPerEpoch)). "one-cycle" follows PyTorch's OneCycleLR
/// (cos annealing, two phases: the peak is at step pct_start·totalSteps − 1 and the last value,
/// lr/div_factor/final_div_factor, at step totalSteps − 1). For "plateau", lrAt() is the base
/// rate: multiply it by PlateauTracker::scale(). The config is expected to be validated
/// (RunConfig::fromJson); stepsPerEpoch and totalSteps below 1 count as 1 and steps past the
/// end keep the final rate. A plugin's schedule (plugin::registry()) is evaluated once for
/// every step by create(), so lrAt() stays a pure look-up. Immutable, so safe to share between
/// threads.
class LrSchedule
{
public:
    /// The schedule `config` describes. InvalidArgument (context "schedule.type") for an unknown
    /// type, or a plugin schedule whose factory throws, returns no function or gives a rate
    /// that is negative or not finite (naming the schedule, the plugin and the step). Never
    /// throws.
    static Result<LrSchedule> create(const ScheduleConfig &config, double baseLr,
                                     std::int64_t stepsPerEpoch, std::int64_t totalSteps);

    /// The rate for optimizer step `step` (negative steps count as 0). Never negative or NaN.
    double lrAt(std::int64_t step) const;

    /// `points` rates evenly spaced over steps 0 .. totalSteps − 1 (the steps are
    /// previewSteps(points)); empty for points <= 0.
    std::vector<double> preview(std::int64_t points) const;

    /// The steps preview(points) samples: round(i · (totalSteps − 1) / (points − 1)).
    std::vector<std::int64_t> previewSteps(std::int64_t points) const;

    std::int64_t totalSteps() const { return m_totalSteps; }

private:
    LrSchedule(const ScheduleConfig &config, double baseLr, std::int64_t stepsPerEpoch,
               std::int64_t totalSteps);
    enum class Kind {
        Constant,
        Step,
        MultiStep,
        Exponential,
        Cosine,
        WarmupCosine,
        OneCycle,
        Plugin
    };

    /// Why this schedule cannot be used (a failing plugin schedule, an unknown type); empty
    /// when it can.
    std::string resolvePlugin(const ScheduleConfig &config);

    double cosineBetween(double from, double to, double fraction) const;
    double oneCycleAt(double step) const;
    double warmupCosineAt(std::int64_t step) const;

    Kind m_kind = Kind::Constant;
    double m_baseLr = 0.0;
    std::int64_t m_stepsPerEpoch = 1;
    std::int64_t m_totalSteps = 1;
    double m_gamma = 1.0;
    std::int64_t m_stepSize = 1;            ///< step: decay period in steps
    std::vector<std::int64_t> m_milestones; ///< multistep: decay steps, ascending
    std::int64_t m_warmupSteps = 0;
    double m_minLr = 0.0;
    double m_pctStart = 0.3;
    double m_divFactor = 25.0;
    double m_finalDivFactor = 1e4;
    std::vector<double> m_table; ///< Plugin: the rate of every step
};

/// ReduceLROnPlateau's bookkeeping (PyTorch semantics: mode "min", relative threshold): after
/// `plateau_patience` epochs in a row without a validation loss below best·(1 − threshold),
/// the next one cuts the scale by `plateau_factor` and starts `plateau_cooldown` epochs during
/// which bad epochs are not counted. The trainer multiplies its rate by scale(). Not
/// thread-safe: one tracker per run, updated by the training thread once per epoch.
class PlateauTracker
{
public:
    explicit PlateauTracker(const ScheduleConfig &config);

    /// Records one epoch's validation loss; true when this call cut the scale. NaN counts as
    /// no improvement.
    bool update(double valLoss);

    /// The product of every cut so far (1 before the first).
    double scale() const { return m_scale; }

    /// Everything update() depends on, for a checkpoint (restore() takes it back).
    nlohmann::json state() const;

    /// Restores a state() object; an empty object restores the initial state. On error
    /// (InvalidArgument naming the bad key) the tracker is left unchanged.
    Result<void> restore(const nlohmann::json &state);

private:
    double m_factor;
    std::int64_t m_patience;
    double m_threshold;
    std::int64_t m_cooldown;

    double m_best;
    std::int64_t m_badEpochs = 0;
    std::int64_t m_cooldownLeft = 0;
    double m_scale = 1.0;
};

} // namespace lathe::train
