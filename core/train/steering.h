#pragma once

#include "core/data/augment_config.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace lathe::train {

/// A change made to a paused run, in effect from optimizer step `step` on. Each point holds
/// the whole steering state (not a delta), so the point in effect says everything.
struct SteerPoint
{
    std::int64_t step = 0;        ///< first optimizer step (0-based) that uses these values
    double lrScale = 1.0;         ///< multiplies the schedule's learning rate, (0, 100]
    double weightDecay = 0.0;     ///< replaces optimizer.weight_decay, [0, 10]
    double augmentStrength = 1.0; ///< scales every augmentation probability and magnitude, [0, 4]
    bool operator==(const SteerPoint &) const = default;
};

/// The config key "steering": a list of {step, lr_scale, weight_decay, augment_strength} with
/// strictly ascending steps. Errors name the dotted key ("steering[1].lr_scale") and what is
/// allowed. Never throws.
Result<std::vector<SteerPoint>> steeringFromJson(const nlohmann::json &json);
nlohmann::json steeringToJson(const std::vector<SteerPoint> &points);

/// The point in effect at optimizer step `step` (the last with point.step <= step), or null.
const SteerPoint *steerPointAt(const std::vector<SteerPoint> &points, std::int64_t step);

/// `config` with its probabilities and magnitudes multiplied by `strength` and clamped to
/// their valid ranges (crop padding rounded). Strength 1 returns it unchanged.
data::AugmentConfig scaledAugment(const data::AugmentConfig &config, double strength);

} // namespace lathe::train
