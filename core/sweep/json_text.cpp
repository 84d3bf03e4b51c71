#include "core/sweep/json_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace lathe::sweep::detail {

std::string showNumber(double value)
{
    if (!std::isfinite(value))
        return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

std::string showValue(const nlohmann::json &value)
{
    constexpr std::size_t kMaxChars = 60;
    if (value.is_number_float())
        return showNumber(value.get<double>());
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > kMaxChars)
        text = text.substr(0, kMaxChars - 3) + "...";
    return text;
}

std::string typeName(const nlohmann::json &value)
{
    return value.is_number() ? "number" : value.type_name();
}

std::string closestName(std::string_view word, const std::vector<std::string> &names)
{
    constexpr std::size_t kMaxEdits = 2;
    std::string best;
    std::size_t bestDistance = kMaxEdits + 1;
    for (const auto &name : names) {
        // Levenshtein distance, one row at a time.
        std::vector<std::size_t> row(name.size() + 1);
        for (std::size_t j = 0; j <= name.size(); ++j)
            row[j] = j;
        for (std::size_t i = 1; i <= word.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= name.size(); ++j) {
                const std::size_t above = row[j];
                row[j] = std::min(
                    {row[j] + 1, row[j - 1] + 1, diagonal + (word[i - 1] == name[j - 1] ? 0 : 1)});
                diagonal = above;
            }
        }
        if (row.back() < bestDistance) {
            bestDistance = row.back();
            best = name;
        }
    }
    return best;
}

} // namespace lathe::sweep::detail
