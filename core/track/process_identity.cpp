#include "core/track/process_identity.h"

#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>

#include <unistd.h>

namespace lathe::track {

namespace {

std::string hostName()
{
    char buffer[256] = {};
    if (gethostname(buffer, sizeof buffer - 1) != 0)
        return {};
    return buffer;
}

// Field 22 (starttime) of a /proc/<pid>/stat line. The command name (field 2) is in
// parentheses and may itself contain spaces and ')', so count fields after the last ')'.
std::optional<std::int64_t> parseStartTime(const std::string &stat)
{
    const auto close = stat.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    for (int index = 3; index <= 22; ++index) {
        if (!(fields >> field))
            return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec != std::errc() || end != field.data() + field.size())
        return std::nullopt;
    return value;
}

} // namespace

std::optional<std::int64_t> processStartTime(std::int64_t pid)
{
    if (pid <= 0)
        return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    if (!in)
        return std::nullopt;
    const std::string stat{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parseStartTime(stat);
}

ProcessIdentity currentProcess()
{
    const std::int64_t pid = getpid();
    return ProcessIdentity{hostName(), pid, processStartTime(pid).value_or(0)};
}

bool isAliveHere(const ProcessIdentity &owner)
{
    if (owner.host.empty() || owner.host != hostName())
        return false;
    const auto start = processStartTime(owner.pid);
    return start && *start == owner.startTime;
}

} // namespace lathe::track
