#include "core/track/run_groups.h"

#include "core/track/run_summary.h"

#include <algorithm>
#include <map>

namespace lathe::track {

namespace {

std::string taggedValue(const RunInfo &run, std::string_view prefix)
{
    for (const auto &tag : run.tags)
        if (tag.starts_with(prefix))
            return tag.substr(prefix.size());
    return std::string(kNoGroupValue);
}

bool needsParams(std::string_view key)
{
    return key != "repeat" && key != "sweep" && key != "tags";
}

/// Orders group values: numbers by value and before text, text by text.
bool valueLess(const std::string &a, const std::string &b)
{
    const auto x = parseNumber(a), y = parseNumber(b);
    if (x && y)
        return *x < *y;
    if (x || y)
        return bool(x);
    return a < b;
}

} // namespace

std::string groupValue(std::string_view key, const RunInfo &run, const RunParams &params)
{
    if (key == "repeat")
        return taggedValue(run, kRepeatTagPrefix);
    if (key == "sweep")
        return taggedValue(run, kSweepTagPrefix);
    if (key == "tags") {
        std::string joined;
        for (const auto &tag : run.tags)
            joined += (joined.empty() ? "" : ",") + tag;
        return joined.empty() ? std::string(kNoGroupValue) : joined;
    }
    const auto found = std::lower_bound(params.begin(), params.end(), key,
                                        [](const std::pair<std::string, std::string> &p,
                                           std::string_view k) { return p.first < k; });
    return found != params.end() && found->first == key ? found->second
                                                        : std::string(kNoGroupValue);
}

std::string RunGroup::label(std::span<const std::string> keys) const
{
    std::string text;
    for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i)
        text += (i ? ", " : "") + keys[i] + "=" + values[i];
    return text;
}

std::vector<RunGroup> groupRuns(std::span<const std::string> keys, std::span<const RunInfo> runs,
                                const std::function<RunParams(const RunInfo &)> &paramsOf)
{
    const bool params = std::any_of(keys.begin(), keys.end(), needsParams);
    const auto less = [](const std::vector<std::string> &a, const std::vector<std::string> &b) {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), valueLess);
    };
    std::map<std::vector<std::string>, std::vector<std::int64_t>, decltype(less)> groups(less);
    for (const auto &run : runs) {
        const RunParams runParams = params ? paramsOf(run) : RunParams{};
        std::vector<std::string> values;
        values.reserve(keys.size());
        for (const auto &key : keys)
            values.push_back(groupValue(key, run, runParams));
        groups[std::move(values)].push_back(run.id);
    }
    std::vector<RunGroup> out;
    out.reserve(groups.size());
    for (auto &[values, ids] : groups)
        out.push_back({values, std::move(ids)});
    return out;
}

} // namespace lathe::track
