#pragma once

#include <string>

// The version this build of Lathe reports, from build/generated/lathe_version.h (written by
// cmake/LatheVersion.cmake at every build, only when its text changes). Only build_info.cpp
// includes that header, so a new commit recompiles one small file and relinks.
namespace lathe::util {

/// The project version, "0.1.0". Thread-safe.
std::string latheVersion();
/// The git commit the build came from (12 hex digits), "-dirty" appended when the tree had
/// uncommitted changes or untracked files git does not ignore ("0ea4c8937909-dirty"); empty
/// outside a git checkout. Thread-safe.
std::string latheCommit();
/// "0.1.0 (git 0ea4c8937909)" or "0.1.0 (git 0ea4c8937909-dirty)", what --version prints.
/// Thread-safe.
std::string latheVersionString();
/// The desktop application id, "io.github.lathe.Lathe" (the .desktop file's name). Thread-safe.
std::string latheAppId();

} // namespace lathe::util
