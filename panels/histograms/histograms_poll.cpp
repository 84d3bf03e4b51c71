#include "panels/histograms/histograms_poll.h"

#include <nlohmann/json.hpp>

namespace lathe::panels {

namespace {

// histograms.every of a stored config; a config from before histograms existed records none.
std::int64_t recordingInterval(const std::string &configJson)
{
    const auto config = nlohmann::json::parse(configJson, nullptr, false);
    if (!config.is_object())
        return 0;
    const auto histograms = config.find("histograms");
    if (histograms == config.end() || !histograms->is_object())
        return 0;
    const auto every = histograms->find("every");
    return every != histograms->end() && every->is_number_integer() ? every->get<std::int64_t>()
                                                                    : 0;
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
