#pragma once

#include <string>

// The version this build of Lathe reports, from build/generated/lathe_version.h (written by
// cmake/LatheInstall.cmake at configure time). Only build_info.cpp includes that header, so a
// new commit recompiles one small file.
namespace lathe::util {

/// The project version, "0.1.0". Thread-safe.
std::string latheVersion();
/// The git commit the tree was configured at (12 hex digits); empty outside a git checkout.
/// A commit made after the last configure shows after the next one. Thread-safe.
std::string latheCommit();
/// "0.1.0 (git 0ea4c8937909)", what --version prints. Thread-safe.
std::string latheVersionString();

} // namespace lathe::util
