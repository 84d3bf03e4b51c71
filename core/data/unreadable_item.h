#pragma once

#include <filesystem>
#include <string>

namespace lathe::data {

/// A file a reader skipped because it could not be decoded: where it is and why. Plain value.
struct UnreadableItem
{
    std::filesystem::path path;
    std::string reason; ///< the decoder's message ("bad png sig", "file is empty", ...)
};

} // namespace lathe::data
