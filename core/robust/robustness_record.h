// A robustness evaluation as stored: the "robustness" event of a run, its points, and reading
// the latest one back. Free of LibTorch, so the Errors panel reads stored results through it.
#pragma once

#include "core/track/run_store.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace lathe::robust {

/// The kind of the event a robustness evaluation is stored as (payload: robustnessJson).
inline constexpr const char *kRobustnessEvent = "robustness";

/// Accuracy under attack at one epsilon (epsilon 0: the clean accuracy).
struct RobustPoint
{
    double epsilon = 0.0;
    double accuracy = 0.0;
    std::int64_t correct = 0;
    std::int64_t samples = 0;
};

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
