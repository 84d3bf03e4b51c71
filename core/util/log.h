#pragma once

#include <filesystem>
#include <string>

namespace lathe::util {

/// Installs Lathe's default spdlog logger: coloured console lines on stderr at `consoleLevel`
/// ("trace".."off") plus a rotating file (logDir/lathe.log, 5 x 5 MB) at debug level.
/// A log directory that cannot be created is reported on the console; logging goes on without
/// the file. Call once at start-up, before other threads log.
void setupLogging(const std::filesystem::path &logDir, const std::string &consoleLevel = "info");

} // namespace lathe::util
