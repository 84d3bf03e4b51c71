#include "panels/histograms/histograms_poll.h"

#include "core/train/run_config.h"

#include <nlohmann/json.hpp>

namespace lathe::panels {

namespace {

// histograms.every of a stored config, read through RunConfig. A config stored before
// histograms existed has no such section, and those runs recorded none: 0, not the default.
std::int64_t recordingInterval(const std::string &configJson)
{
    const auto json = nlohmann::json::parse(configJson, nullptr, false);
    if (!json.is_object() || !json.contains("histograms"))
        return 0;
    const auto config = train::RunConfig::fromJson(json);
    return config ? config->histograms.every : 0;
}

} // namespace

Result<HistogramPollResult> pollHistograms(track::RunStore &store,
                                           const HistogramPollRequest &request)
{
    HistogramPollResult result;
    auto info = store.run(request.runId);
    if (!info && info.error().code == ErrorCode::NotFound) {
        result.missing = true;
        return result;
    }
    if (!info)
        return std::unexpected(info.error());
    result.every = recordingInterval(info->configJson);
    result.live = info->status == track::RunStatus::Created
                  || info->status == track::RunStatus::Running
                  || info->status == track::RunStatus::Paused;
    auto keys = store.histogramKeys(request.runId);
    if (!keys)
        return std::unexpected(keys.error());
    result.keys = std::move(*keys);
    if (request.series) {
        auto samples = store.histogramSeries(request.runId, *request.series, request.afterStep);
        if (!samples)
            return std::unexpected(samples.error());
        result.samples = std::move(*samples);
    }
    return result;
}

} // namespace lathe::panels
