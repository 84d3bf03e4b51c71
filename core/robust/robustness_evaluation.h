// Robust accuracy of a stored run's checkpoint: the test set (or its first N samples) attacked
// at each of a list of epsilons, as `lathe-cli robustness` and the Errors panel show it.
#pragma once

#include "core/robust/attack.h"
#include "core/track/run_store.h"
#include "core/train/open_run.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string_view>
#include <vector>

namespace lathe::robust {

/// The kind of the event a robustness evaluation is stored as (payload: robustnessJson).
inline constexpr const char *kRobustnessEvent = "robustness";

/// What to evaluate: the attack (its epsilon is replaced by each of `epsilons`), how many test
/// samples (the first `limit`; 0 = all) and in batches of how many.
struct RobustnessOptions
{
    AttackOptions attack;
    std::vector<double> epsilons{0.05, 0.1, 0.2};
    std::int64_t limit = 1000;
    std::int64_t batchSize = 250;
};

/// Accuracy under attack at one epsilon (epsilon 0: the clean accuracy).
struct RobustPoint
{
    double epsilon = 0.0;
    double accuracy = 0.0;
    std::int64_t correct = 0;
    std::int64_t samples = 0;
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

/// The points of a "robustness" event's payload (robustnessJson's), for the views. BadInput
/// when the payload does not have that shape.
Result<std::vector<RobustPoint>> robustPointsFromJson(const nlohmann::json &payload);

/// Stores `payload` as a "robustness" event of run `runId` in the store at `db` (the Errors
/// panel and `lathe-cli show` read it). Errors of opening or writing the store. Thread-safe
/// (its own connection).
Result<void> storeRobustness(const std::filesystem::path &db, std::int64_t runId,
                             const nlohmann::json &payload);

/// The latest "robustness" event's payload of run `runId` (null when it has none).
Result<nlohmann::json> latestRobustness(const std::filesystem::path &db, std::int64_t runId);
/// The same on an open store, restricted to the results of checkpoint `checkpoint` (the
/// payload's "checkpoint") unless it is empty: what the Errors panel shows for its checkpoint.
/// BadInput for an unreadable payload. Reads only.
Result<nlohmann::json> latestRobustness(track::RunStore &store, std::int64_t runId,
                                        std::string_view checkpoint = {});

} // namespace lathe::robust
