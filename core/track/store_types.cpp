#include "core/track/store_types.h"

#include <array>
#include <utility>

namespace lathe::track {

namespace {

constexpr std::array<std::pair<RunStatus, std::string_view>, 8> kStatusNames{{
    {RunStatus::Created, "created"},
    {RunStatus::Running, "running"},
    {RunStatus::Paused, "paused"},
    {RunStatus::Finished, "finished"},
    {RunStatus::Failed, "failed"},
    {RunStatus::Stopped, "stopped"},
    {RunStatus::Interrupted, "interrupted"},
    {RunStatus::Pruned, "pruned"},
}};

constexpr std::array<std::pair<HistogramKind, std::string_view>, 3> kHistogramKindNames{{
    {HistogramKind::Weights, "weights"},
    {HistogramKind::Gradients, "gradients"},
    {HistogramKind::Activations, "activations"},
}};

} // namespace

std::string_view toString(RunStatus status)
{
    for (const auto &[value, name] : kStatusNames) {
        if (value == status)
            return name;
    }
    return "unknown";
}

std::optional<RunStatus> parseRunStatus(std::string_view text)
{
    for (const auto &[value, name] : kStatusNames) {
        if (name == text)
            return value;
    }
    return std::nullopt;
}

bool isTerminal(RunStatus status)
{
    return status == RunStatus::Finished || status == RunStatus::Failed
           || status == RunStatus::Stopped || status == RunStatus::Interrupted
           || status == RunStatus::Pruned;
}

std::string_view toString(HistogramKind kind)
{
    for (const auto &[value, name] : kHistogramKindNames) {
        if (value == kind)
            return name;
    }
    return "unknown";
}

std::optional<HistogramKind> parseHistogramKind(std::string_view text)
{
    for (const auto &[value, name] : kHistogramKindNames) {
        if (name == text)
            return value;
    }
    return std::nullopt;
}

} // namespace lathe::track
