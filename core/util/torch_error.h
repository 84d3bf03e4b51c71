#pragma once

#include <exception>
#include <string>

namespace lathe::util {

/// A one-line description of an exception for a user: LibTorch's c10::Error without its
/// C++ backtrace, anything else as what(). Thread-safe.
std::string describe(const std::exception &e);

} // namespace lathe::util
