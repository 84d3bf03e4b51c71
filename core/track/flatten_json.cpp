#include "core/track/flatten_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace lathe::track {

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string leafText(const nlohmann::json &value)
{
    if (value.is_string())
        return value.get_ref<const std::string &>();
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void flattenInto(const nlohmann::json &value, const std::string &prefix, Pairs &out)
{
    if (!value.is_object() || value.empty()) {
        out.emplace_back(prefix, leafText(value));
        return;
    }
    for (const auto &[key, child] : value.items())
        flattenInto(child, prefix.empty() ? key : prefix + "." + key, out);
}

} // namespace

std::vector<std::pair<std::string, std::string>> flattenJson(const nlohmann::json &value)
{
    Pairs out;
    if (value.is_object() && value.empty())
        return out;
    flattenInto(value, {}, out);
    // Sorted per level is not sorted overall ("a-x" < "a.b"), so sort the dotted keys.
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace lathe::track
