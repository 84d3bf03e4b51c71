#pragma once

#include "core/train/run_config.h"
#include "core/util/error.h"

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

namespace lathe::train {

/// How the learning-rate sweep runs. The defaults are the classic range test (Smith 2015,
/// fastai's lr_find): 100 steps from 1e-6 to 1, stopping once the loss explodes.
struct LrFinderOptions
{
    double startLr = 1e-6;      ///< rate of the first step (> 0)
    double endLr = 1.0;         ///< rate of the last step (> startLr)
    std::int64_t steps = 100;   ///< optimizer steps, rates spaced evenly on a log scale (>= 2)
    double smoothing = 0.98;    ///< beta of the bias-corrected moving average of the loss
    double divergeFactor = 4.0; ///< stop once the smoothed loss exceeds this × its best
    /// Train on at most this many samples (data.subset); 0 keeps the config's data.subset.
    /// Loading and normalising the whole training set would take longer than the sweep.
    std::int64_t maxSamples = 2000;
    /// Points ignored at the start when looking for the steepest slope (the noisy beginning).
    std::int64_t skipStart = 5;
};

/// One step of the sweep: the rate it used, the loss of its batch and the smoothed loss.
struct LrFinderPoint
{
    double lr = 0.0;
    double loss = 0.0;
    double smoothedLoss = 0.0;
};

/// The sweep's curve and the suggested rate.
struct LrFinderResult
{
    std::vector<LrFinderPoint> points; ///< in step order; rates strictly increasing
    bool diverged = false;             ///< stopped early because the loss exploded (or became NaN)
    double suggestedLr = 0.0;          ///< inside [points.front().lr, points.back().lr]
    std::int64_t suggestedIndex = 0;   ///< index into points of suggestedLr
    /// How suggestedLr was chosen, for the user: "steepest descent of the smoothed loss", or
    /// "minimum of the smoothed loss / 10" when the curve is too short to take a slope.
    std::string rule;
};

/// Receives each point as it is measured, with the 1-based step and the planned step count.
/// Called on the sweep's thread; must be quick.
using LrFinderProgress
    = std::function<void(const LrFinderPoint &point, std::int64_t step, std::int64_t steps)>;

/// Runs the learning-rate range test for `config`: builds the data, model and optimizer
/// exactly as Trainer::create does (same seed, batch size, accumulation, augmentation, label
/// smoothing, clipping; no validation split, no schedule, no checkpoints), then trains
/// `options.steps` optimizer steps with the rate growing exponentially from startLr to endLr,
/// recording the loss of each step. Stops early when the smoothed loss exceeds
/// divergeFactor × its minimum or the loss is not finite (that point is not recorded).
/// Suggests the rate at the steepest negative slope of the smoothed loss against log(lr),
/// between skipStart and the minimum. Errors: InvalidArgument for bad options (context the
/// option) or a config Trainer::create refuses; data loading errors; Training when the loss
/// is not finite before two points are recorded; Cancelled when `stop` is requested. Blocking;
/// call it on a worker thread. Never throws.
Result<LrFinderResult> findLearningRate(const RunConfig &config, const LrFinderOptions &options,
                                        std::stop_token stop = {},
                                        const LrFinderProgress &progress = {});

/// The rate of step `index` (0-based) of a sweep: startLr · (endLr / startLr)^(index/(steps-1)).
double sweepLr(const LrFinderOptions &options, std::int64_t index);

/// Picks the suggestion for `points` (see findLearningRate) and fills suggestedLr,
/// suggestedIndex and rule of `result`, whose points are already set. Leaves them unset
/// (suggestedLr 0) when there are no points. Pure; thread-safe.
void suggestLearningRate(LrFinderResult &result, std::int64_t skipStart);

} // namespace lathe::train
