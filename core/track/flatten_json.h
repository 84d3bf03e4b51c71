#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <utility>
#include <vector>

namespace lathe::track {

/// Flattens a JSON config to (dotted key, value) pairs sorted by key: {"optimizer":{"lr":0.1}}
/// gives ("optimizer.lr", "0.1"). Strings are stored without quotes, numbers, booleans and null
/// as their JSON text, arrays and empty objects as compact JSON ("[1,2]", "{}"). A top-level
/// non-object gives one pair with an empty key; an empty top-level object gives none.
/// Never throws (invalid UTF-8 is replaced). Thread-safe.
std::vector<std::pair<std::string, std::string>> flattenJson(const nlohmann::json &value);

} // namespace lathe::track
