// One way to list things in a message: join("a", "b", "c") -> "a, b, c".
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace lathe::util {

/// The items of `items` as text, separated by `separator` ("" for none): each item is
/// `project(item)`, a string (or anything a std::string can be built from) or a number (written
/// by std::to_string). Header-only; throws only what allocation or `project` throws.
template<typename Range, typename Project = std::identity>
std::string join(Range &&items, std::string_view separator = ", ", Project project = {})
{
    std::string out;
    bool first = true;
    for (const auto &item : items) {
        if (!first)
            out += separator;
        first = false;
        decltype(auto) value = std::invoke(project, item);
        if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>)
            out += std::to_string(value);
        else
            out += std::string_view(value);
    }
    return out;
}

} // namespace lathe::util
