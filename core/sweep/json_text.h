// Internal to lathe_sweep: how values and JSON types are written in messages.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace lathe::sweep::detail {

/// The shortest text that reads back as the same double: 0.1, 1e-05, 64.
std::string showNumber(double value);

/// A value as compact JSON for a message ("sgd" with its quotes, 0.1, [24,48,96]), shortened
/// when long. Never throws.
std::string showValue(const nlohmann::json &value);

/// "number" (integer or not), "string", "boolean", "array", "object", "null".
std::string typeName(const nlohmann::json &value);

/// The name in `names` within two edits of `word` (the closest, the first on a tie), else "".
std::string closestName(std::string_view word, const std::vector<std::string> &names);

} // namespace lathe::sweep::detail
