#pragma once

#include <filesystem>

namespace lathe::util {

/// Lathe's data directory: $XDG_DATA_HOME/lathe, else ~/.local/share/lathe. Not created.
std::filesystem::path dataDir();

/// The default experiment database's file name.
inline constexpr const char *kDefaultDbName = "lathe.db";

/// The default experiment database: $LATHE_DB if set, else dataDir()/lathe.db.
std::filesystem::path defaultDbPath();

/// The prefix the running program is installed in (`cmake --install`, the .deb): the folder
/// above the executable's own (<prefix>/bin/lathe-cli) when it holds share/lathe; empty for a
/// program in a build tree, or when /proc/self/exe cannot be read.
std::filesystem::path installPrefix();

/// Where the bundled resources (configs, sweeps, the ONNX runner) are: $LATHE_RESOURCES if set,
/// else <installPrefix()>/share/lathe for an installed program, else the source tree's
/// resources/ folder as configured at build time.
std::filesystem::path resourceDir();

} // namespace lathe::util
