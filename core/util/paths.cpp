#include "core/util/paths.h"

#include <cstdlib>

#ifndef LATHE_SOURCE_RESOURCES
#define LATHE_SOURCE_RESOURCES "resources"
#endif

namespace lathe::util {

namespace {
const char *nonEmptyEnv(const char *name)
{
    const char *value = std::getenv(name);
    return (value && *value) ? value : nullptr;
}
} // namespace

std::filesystem::path dataDir()
{
    if (const char *xdg = nonEmptyEnv("XDG_DATA_HOME"))
        return std::filesystem::path(xdg) / "lathe";
    if (const char *home = nonEmptyEnv("HOME"))
        return std::filesystem::path(home) / ".local" / "share" / "lathe";
    return std::filesystem::current_path() / ".lathe";
}

std::filesystem::path defaultDbPath()
{
    if (const char *db = nonEmptyEnv("LATHE_DB"))
        return db;
    return dataDir() / kDefaultDbName;
}

std::filesystem::path installPrefix()
{
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        return {};
    auto prefix = exe.parent_path().parent_path();
    if (!std::filesystem::is_directory(prefix / "share" / "lathe", ec))
        return {};
    return prefix;
}

std::filesystem::path resourceDir()
{
    if (const char *res = nonEmptyEnv("LATHE_RESOURCES"))
        return res;
    if (auto prefix = installPrefix(); !prefix.empty())
        return prefix / "share" / "lathe";
    return LATHE_SOURCE_RESOURCES;
}

} // namespace lathe::util
