#include "core/formats/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace lathe::formats {

Result<AtomicFile> AtomicFile::open(const std::filesystem::path &target)
{
    std::error_code ec;
    if (target.has_parent_path())
        std::filesystem::create_directories(target.parent_path(), ec);
    if (ec)
        return fail(ErrorCode::Io, "cannot create the folder: " + ec.message(), target.string());
    auto temp = std::filesystem::path(target.string() + ".tmp");
    // A new file, never one that a symlink at the temporary's name points to (which would put
    // the bytes outside the target's folder): a stale temporary or link is removed (a link, not
    // what it points to), and O_EXCL refuses whatever appears at that name in between.
    std::filesystem::remove(temp, ec);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    std::FILE *file = fd < 0 ? nullptr : ::fdopen(fd, "wb");
    if (!file) {
        const int error = errno;
        if (fd >= 0)
            ::close(fd);
        return fail(ErrorCode::Io, std::string("cannot create the file: ") + std::strerror(error),
                    target.string());
    }
    return AtomicFile(target, std::move(temp), file);
}

AtomicFile::AtomicFile(std::filesystem::path target, std::filesystem::path temp, std::FILE *file)
    : m_target(std::move(target))
    , m_temp(std::move(temp))
    , m_file(file)
{
}

AtomicFile::AtomicFile(AtomicFile &&other) noexcept
    : m_target(std::move(other.m_target))
    , m_temp(std::move(other.m_temp))
    , m_file(std::exchange(other.m_file, nullptr))
    , m_failed(other.m_failed)
    , m_committed(other.m_committed)
{
    other.m_temp.clear();
}

AtomicFile::~AtomicFile()
{
    discard();
}

void AtomicFile::discard()
{
    if (m_file)
        std::fclose(std::exchange(m_file, nullptr));
    if (!m_committed && !m_temp.empty()) {
        std::error_code ignored;
        std::filesystem::remove(m_temp, ignored);
        m_temp.clear();
    }
}

Error AtomicFile::failure(const std::string &what)
{
    m_failed = true;
    discard();
    return Error{ErrorCode::Io, what + " (nothing was written)", m_target.string()};
}

Result<void> AtomicFile::write(const void *data, std::size_t size)
{
    if (m_failed || !m_file)
        return fail(ErrorCode::Io, "write after a failed write or commit", m_target.string());
    if (size > 0 && std::fwrite(data, 1, size, m_file) != size)
        return std::unexpected(failure(std::string("cannot write: ") + std::strerror(errno)));
    return {};
}

Result<void> AtomicFile::commit()
{
    if (m_failed || !m_file)
        return fail(ErrorCode::Io, "commit after a failed write or commit", m_target.string());
    // fflush, fsync and fclose surface a full disk that buffered fwrite calls did not report.
    const bool flushed = std::fflush(m_file) == 0 && ::fsync(fileno(m_file)) == 0;
    const int flushError = errno;
    const bool closed = std::fclose(std::exchange(m_file, nullptr)) == 0;
    if (!flushed || !closed)
        return std::unexpected(
            failure(std::string("cannot write: ") + std::strerror(flushed ? errno : flushError)));
    std::error_code ec;
    std::filesystem::rename(m_temp, m_target, ec);
    if (ec)
        return std::unexpected(failure("cannot move the file into place: " + ec.message()));
    m_committed = true;
    return {};
}

Result<void> writeFileAtomically(const std::filesystem::path &target, std::string_view bytes)
{
    auto file = AtomicFile::open(target);
    if (!file)
        return std::unexpected(file.error());
    if (auto written = file->write(bytes); !written)
        return written;
    return file->commit();
}

} // namespace lathe::formats
