#include "core/util/file_name.h"

namespace lathe::util {

namespace {

constexpr std::size_t kMaxBytes = 200; // under the usual 255-byte limit, with room for a suffix

bool replaced(unsigned char c)
{
    return c < 0x20 || c == 0x7f || c == ' '
           || std::string_view("/\\:*?\"<>|").find(char(c)) != std::string_view::npos;
}

bool isSpace(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

} // namespace

std::string safeFileName(std::string_view name, std::string_view fallback)
{
    while (!name.empty() && isSpace(name.front()))
        name.remove_prefix(1);
    while (!name.empty() && isSpace(name.back()))
        name.remove_suffix(1);
    std::string safe;
    for (const char c : name)
        safe += replaced(static_cast<unsigned char>(c)) ? '_' : c;
    if (safe.size() > kMaxBytes) {
        std::size_t end = kMaxBytes;
        while (end > 0 && (static_cast<unsigned char>(safe[end]) & 0xC0) == 0x80)
            --end; // not inside a UTF-8 character
        safe.resize(end);
    }
    if (safe.empty() || safe == "." || safe == "..")
        return std::string(fallback);
    return safe;
}

} // namespace lathe::util
