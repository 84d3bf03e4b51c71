#pragma once

// A whole file's bytes, read (for the tests that check what was written) or written.

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

/// Makes `bytes` the whole of `path`.
inline void writeFile(const std::filesystem::path &path, const std::string &bytes)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

} // namespace lathe::testing
