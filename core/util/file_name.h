// A name a user typed (a run's name, a config's, a layer's) as one file name inside a folder.
#pragma once

#include <string>
#include <string_view>

namespace lathe::util {

/// `name` as a single path component that stays inside the folder it is joined to: path
/// separators ('/', '\\'), control characters, whitespace and the characters Windows forbids
/// (":*?\"<>|") become '_', surrounding whitespace is dropped, and the result is cut to at most
/// 200 bytes (on a UTF-8 character boundary). An empty result, "." or ".." gives `fallback`
/// (itself used as given). Pure; thread-safe.
std::string safeFileName(std::string_view name, std::string_view fallback);

} // namespace lathe::util
