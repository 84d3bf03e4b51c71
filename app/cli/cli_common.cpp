#include "app/cli/commands.h"

#include "core/util/paths.h"

#include <charconv>
#include <cstdio>

namespace lathe::cli {

int reportError(const Error &error)
{
    std::fprintf(stderr, "lathe-cli: %s\n", error.toString().c_str());
    return error.code == ErrorCode::Training ? kExitTrainingFailed : kExitBadInput;
}

std::optional<std::int64_t> parseInteger(const std::string &text)
{
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::filesystem::path storePath(const ParsedArgs &args)
{
    if (auto db = args.value("--db"))
        return *db;
    return util::defaultDbPath();
}

} // namespace lathe::cli
