// Small text helpers shared by the readers of plain-text files (os-release, /proc/cpuinfo,
// MLflow's meta.yaml).
#pragma once

#include <string_view>

namespace lathe::util {

/// `text` without the leading and trailing characters of `strip` (whitespace by default).
/// Header-only; views into `text`.
inline std::string_view trimmed(std::string_view text, std::string_view strip = " \t\r\n")
{
    const auto first = text.find_first_not_of(strip);
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(strip);
    return text.substr(first, last - first + 1);
}

} // namespace lathe::util
