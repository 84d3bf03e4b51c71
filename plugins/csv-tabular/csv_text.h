// Small text helpers shared by the csv reader's sources: errors naming the file, trimming,
// joining and number parsing. Internal to the csv-tabular plugin.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::csv::detail {

[[noreturn]] inline void fail(const std::string &file, const std::string &what)
{
    throw std::runtime_error(file + ": " + what);
}

[[noreturn]] inline void failCell(const std::string &file, std::int64_t line,
                                  const std::string &column, const std::string &what)
{
    fail(file, "line " + std::to_string(line) + ", column \"" + column + "\": " + what);
}

inline std::string_view trim(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

inline std::string join(const std::vector<std::string> &items)
{
    std::string text;
    for (const auto &item : items)
        text += (text.empty() ? "" : ", ") + item;
    return text;
}

/// The shortest text that reads back as `value` ("0.1", not "0.100000").
inline std::string formatNumber(double value)
{
    char buffer[32];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

inline std::optional<double> parseNumber(std::string_view text)
{
    if (text.starts_with('+'))
        text.remove_prefix(1);
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()
        || !std::isfinite(value))
        return std::nullopt;
    return value;
}

} // namespace lathe::csv::detail
