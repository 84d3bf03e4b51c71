#include "app/cli/commands.h"

#include "core/util/paths.h"

#include <cstdio>

namespace lathe::cli {

int reportError(const Error &error)
{
    std::fprintf(stderr, "lathe-cli: %s\n", error.toString().c_str());
    return error.code == ErrorCode::Training ? kExitTrainingFailed : kExitBadInput;
}

std::filesystem::path storePath(const ParsedArgs &args)
{
    if (auto db = args.value("--db"))
        return *db;
    return util::defaultDbPath();
}

} // namespace lathe::cli
