#pragma once

#include <string>
#include <string_view>

/// The names of the metrics a run records, defined once: the recorder writes them, the store's
/// summaries, the panels, the CLI and the export read them. A metric of a registered metric
/// extension is "<split>/<metric>/<value>" (splitKey()). Header-only, no dependencies.
namespace lathe::track::keys {

inline constexpr std::string_view kTrainLoss = "train/loss";
inline constexpr std::string_view kTrainAccuracy = "train/accuracy";
inline constexpr std::string_view kLearningRate = "lr";
inline constexpr std::string_view kSamplesPerSecond = "train/samples_per_sec";
inline constexpr std::string_view kEpochLoss = "train/epoch_loss";
inline constexpr std::string_view kEpochAccuracy = "train/epoch_accuracy";
inline constexpr std::string_view kEpochSeconds = "train/epoch_seconds";
inline constexpr std::string_view kValLoss = "val/loss";
inline constexpr std::string_view kValAccuracy = "val/accuracy";
inline constexpr std::string_view kTestLoss = "test/loss";
inline constexpr std::string_view kTestAccuracy = "test/accuracy";
/// A data-parallel run's steps (rank 0 records them for every rank): the slowest and the mean
/// rank's step time, the gradient reduction's span and the part of it not hidden by backward.
inline constexpr std::string_view kDistStepTimeMax = "dist/step_time_max";
inline constexpr std::string_view kDistStepTimeMean = "dist/step_time_mean";
inline constexpr std::string_view kDistCommSeconds = "dist/comm_seconds";
inline constexpr std::string_view kDistCommWaitSeconds = "dist/comm_wait_seconds";
/// A private (DP-SGD) run's epsilon spent so far and the delta it is at (recorded every step):
/// the last values are the trained model's (epsilon, delta).
inline constexpr std::string_view kPrivacyEpsilon = "privacy/epsilon";
inline constexpr std::string_view kPrivacyDelta = "privacy/delta";
/// Adversarial training (the "adversarial" config section): the share of the first
/// adversarial.eval_samples validation samples still classified correctly under PGD at
/// adversarial.epsilon, each epoch. kRobustAccuracy is its name within the split.
inline constexpr std::string_view kRobustAccuracy = "robust_accuracy";
inline constexpr std::string_view kValRobustAccuracy = "val/robust_accuracy";

/// The evaluation splits a run records metrics for.
inline constexpr std::string_view kValSplit = "val";
inline constexpr std::string_view kTestSplit = "test";

/// "<split>/<name>", e.g. splitKey("val", "loss") == "val/loss".
inline std::string splitKey(std::string_view split, std::string_view name)
{
    std::string key(split);
    key += '/';
    key += name;
    return key;
}

} // namespace lathe::track::keys
