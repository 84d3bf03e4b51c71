#pragma once

#include "core/util/error.h"

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace lathe::formats {

/// A file written under a temporary name (`<target>.tmp`) and renamed over `target` by
/// commit(), so a reader never sees half a file and a failed write (full disk, no permission)
/// leaves no file behind: the destructor removes the temporary unless commit() succeeded.
/// Symlinks are never followed: one at the temporary's name is removed before a new file is
/// created there, and one at `target` is replaced by the file, so no write lands outside the
/// target's folder.
/// Not thread-safe: one writer per object; two objects must not target the same path at once.
class AtomicFile
{
public:
    /// Creates the target's folder if needed and opens the temporary file. Io error naming
    /// `target` when either fails.
    static Result<AtomicFile> open(const std::filesystem::path &target);

    AtomicFile(AtomicFile &&other) noexcept;
    AtomicFile &operator=(AtomicFile &&) = delete;
    AtomicFile(const AtomicFile &) = delete;
    AtomicFile &operator=(const AtomicFile &) = delete;
    ~AtomicFile();

    /// Appends `size` bytes. Io error naming the target and the system's reason (e.g. "No
    /// space left on device"); the temporary is then removed and later calls fail too.
    Result<void> write(const void *data, std::size_t size);
    Result<void> write(std::string_view text) { return write(text.data(), text.size()); }

    /// Flushes, syncs and closes the temporary, then renames it over the target. On failure
    /// the temporary is removed and the target is left as it was.
    Result<void> commit();

private:
    AtomicFile(std::filesystem::path target, std::filesystem::path temp, std::FILE *file);
    /// Marks the file failed, removes the temporary and returns an Io error saying `what`.
    Error failure(const std::string &what);
    void discard();

    std::filesystem::path m_target;
    std::filesystem::path m_temp;
    std::FILE *m_file = nullptr;
    bool m_failed = false;
    bool m_committed = false;
};

/// Writes `bytes` to `target` through an AtomicFile. Errors as AtomicFile's.
Result<void> writeFileAtomically(const std::filesystem::path &target, std::string_view bytes);

} // namespace lathe::formats
