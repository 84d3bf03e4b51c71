#pragma once

#include <filesystem>

namespace lathe::util {

/// Lathe's data directory: $XDG_DATA_HOME/lathe, else ~/.local/share/lathe. Not created.
std::filesystem::path dataDir();

/// The default experiment database's file name.
inline constexpr const char *kDefaultDbName = "lathe.db";

/// The default experiment database: $LATHE_DB if set, else dataDir()/lathe.db.
std::filesystem::path defaultDbPath();

/// Where the bundled resources (configs) are: $LATHE_RESOURCES if set, else the source tree's
/// resources/ folder as configured at build time.
std::filesystem::path resourceDir();

} // namespace lathe::util
