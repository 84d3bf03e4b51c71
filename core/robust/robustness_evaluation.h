// Robust accuracy of a stored run's checkpoint: the test set (or its first N samples) attacked
// at each of a list of epsilons, as `lathe-cli robustness` and the Errors panel show it.
#pragma once

#include "core/robust/attack.h"
#include "core/robust/robustness_record.h"
#include "core/train/open_run.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <stop_token>
#include <vector>

namespace lathe::robust {

/// What to evaluate: the attack (its epsilon is replaced by each of `epsilons`), how many test
/// samples (the first `limit`; 0 = all) and in batches of how many.
struct RobustnessOptions
{
    AttackOptions attack;
    std::vector<double> epsilons{0.05, 0.1, 0.2};
    std::int64_t limit = 1000;
    std::int64_t batchSize = 250;
};

/// The options' errors (InvalidArgument, context the option): no epsilon, a negative one,
/// checkAttackOptions's, a batch size or limit below its minimum.
Result<void> checkRobustnessOptions(const RobustnessOptions &options);

/// Samples done so far and the total over every epsilon (called on the calling thread).
using RobustnessProgress = std::function<void(std::int64_t done, std::int64_t total)>;

/// Attacks `run`'s test set at each epsilon, in ascending order, with the net in eval mode
/// (restored after), gradients with respect to the input only, on the CPU. An epsilon of 0 is
/// the clean accuracy. Errors: checkRobustnessOptions's; InvalidArgument when the run has no
/// test set; Cancelled when `stop` is requested; LibTorch's as Error. Not thread-safe for one
/// OpenedRun (use one per thread).
Result<std::vector<RobustPoint>> evaluateRobustness(train::OpenedRun &run,
                                                    const RobustnessOptions &options,
                                                    const RobustnessProgress &progress = {},
                                                    std::stop_token stop = {});

/// {"attack", "steps", "step_size", "random_start", "restarts", "samples", "checkpoint",
/// "points": [{"epsilon", "accuracy", "correct", "samples"}...]}: what the run's "robustness"
/// event stores and `--json` prints.
nlohmann::json robustnessJson(const RobustnessOptions &options,
                              const std::vector<RobustPoint> &points);

} // namespace lathe::robust
