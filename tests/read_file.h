#pragma once

// A whole file's bytes, for the tests that check what was written.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace lathe::testing {

/// The bytes of `path`, empty when it cannot be read.
inline std::string readFile(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

} // namespace lathe::testing
