#pragma once

#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace lathe::util {

/// SHA-256 digests of files kept between runs in a small JSON file, keyed by the file's absolute
/// path, size and modification time (ns): a run fingerprints its data without reading 30 MB at
/// every start. A file whose size or time changed is hashed again. Not thread-safe (one object
/// per thread); several processes may share the cache file: each save() replaces it whole
/// (write then rename), the last one wins, and a lost entry is only hashed again.
class FileDigestCache
{
public:
    /// Loads `cacheFile` if it exists; a missing or unreadable cache starts empty.
    explicit FileDigestCache(std::filesystem::path cacheFile);

    /// The SHA-256 (hex) of `file`, from the cache when its path, size and time match, else
    /// computed (and kept for save()). Io error naming the file when it cannot be read.
    Result<std::string> sha256(const std::filesystem::path &file);
    /// How many digests sha256() computed rather than found (for tests and benches).
    int computed() const { return m_computed; }
    /// Writes the cache if it changed; an Io error names the cache file (callers may ignore
    /// it: the cache is an optimisation).
    Result<void> save();

    /// The default cache: util::dataDir()/cache/file-digests.json.
    static std::filesystem::path defaultFile();

private:
    struct Entry
    {
        std::int64_t bytes = 0;
        std::int64_t mtimeNs = 0;
        std::string sha256;
    };
    std::filesystem::path m_file;
    std::map<std::string, Entry> m_entries;
    bool m_dirty = false;
    int m_computed = 0;
};

} // namespace lathe::util
