#include "core/robust/robustness_record.h"

namespace lathe::robust {

Result<std::vector<RobustPoint>> robustPointsFromJson(const nlohmann::json &payload)
{
    if (!payload.is_object() || !payload.contains("points") || !payload["points"].is_array())
        return fail(ErrorCode::BadInput, "a robustness record without its \"points\" list",
                    "robustness");
    std::vector<RobustPoint> points;
    for (const auto &p : payload["points"]) {
        if (!p.is_object() || !p.contains("epsilon") || !p["epsilon"].is_number()
            || !p.contains("accuracy") || !p["accuracy"].is_number())
            return fail(ErrorCode::BadInput, "a robustness point without epsilon and accuracy",
                        "robustness");
        points.push_back({p["epsilon"].get<double>(), p["accuracy"].get<double>(),
                          p.value("correct", std::int64_t(0)),
                          p.value("samples", std::int64_t(0))});
    }
    return points;
}

Result<void> storeRobustness(const std::filesystem::path &db, std::int64_t runId,
                             const nlohmann::json &payload)
{
    auto store = track::RunStore::open(db);
    if (!store)
        return std::unexpected(store.error());
    return (*store)->addEvent({0, runId, kRobustnessEvent, 0, 0.0, payload.dump()});
}

Result<nlohmann::json> latestRobustness(const std::filesystem::path &db, std::int64_t runId)
{
    auto store = track::RunStore::openForReading(db);
    if (!store)
        return std::unexpected(store.error());
    return latestRobustness(**store, runId);
}

Result<nlohmann::json> latestRobustness(track::RunStore &store, std::int64_t runId,
                                        std::string_view checkpoint)
{
    auto events = store.events(runId);
    if (!events)
        return std::unexpected(events.error());
    for (auto it = events->rbegin(); it != events->rend(); ++it) {
        if (it->kind != kRobustnessEvent)
            continue;
        nlohmann::json payload;
        try {
            payload = nlohmann::json::parse(it->payloadJson);
        } catch (const std::exception &e) {
            return fail(ErrorCode::BadInput,
                        std::string("unreadable robustness event: ") + e.what(),
                        "run " + std::to_string(runId));
        }
        if (checkpoint.empty()
            || (payload.is_object() && payload.value("checkpoint", "") == checkpoint))
            return payload;
    }
    return nlohmann::json();
}

} // namespace lathe::robust
