#include "core/interop/tf_record_reader.h"

#include "core/interop/crc32c.h"

#include <cerrno>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lathe::interop {

namespace {

constexpr std::size_t kHeaderBytes = 12; // length (8) and its masked CRC (4)
constexpr std::size_t kFooterBytes = 4;  // the data's masked CRC

std::uint64_t readLe(const std::byte *p, int bytes)
{
    std::uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i)
        value = value << 8 | static_cast<std::uint64_t>(p[i]);
    return value;
}

bool lengthChecks(std::span<const std::byte> bytes, std::size_t at)
{
    const auto *p = bytes.data() + at;
    return maskedCrc32c({p, 8}) == static_cast<std::uint32_t>(readLe(p + 8, 4));
}

// The length of the record at `at` when its header and data both check and it fits.
std::optional<std::uint64_t> wholeRecordAt(std::span<const std::byte> bytes, std::size_t at)
{
    if (bytes.size() - at < kHeaderBytes + kFooterBytes || !lengthChecks(bytes, at))
        return std::nullopt;
    const std::uint64_t length = readLe(bytes.data() + at, 8);
    if (length > bytes.size() - at - kHeaderBytes - kFooterBytes)
        return std::nullopt;
    const auto *data = bytes.data() + at + kHeaderBytes;
    if (maskedCrc32c({data, length}) != static_cast<std::uint32_t>(readLe(data + length, 4)))
        return std::nullopt;
    return length;
}

// The first offset after `at` where a whole record checks; nullopt when none does.
std::optional<std::size_t> resynchronise(std::span<const std::byte> bytes, std::size_t at)
{
    for (std::size_t next = at + 1; next + kHeaderBytes + kFooterBytes <= bytes.size(); ++next)
        if (wholeRecordAt(bytes, next))
            return next;
    return std::nullopt;
}

std::string byteCount(std::uint64_t n)
{
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

} // namespace

RecordScan scanTfRecords(std::span<const std::byte> bytes, const RecordCallback &onRecord)
{
    RecordScan scan;
    scan.bytes = static_cast<std::int64_t>(bytes.size());
    std::size_t at = 0;
    while (at < bytes.size()) {
        const auto offset = static_cast<std::int64_t>(at);
        const std::size_t left = bytes.size() - at;
        if (left < kHeaderBytes) {
            scan.issues.push_back(
                {offset, "truncated record header: the file ends " + byteCount(left) + " into it"});
            break;
        }
        if (!lengthChecks(bytes, at)) {
            const auto next = resynchronise(bytes, at);
            scan.issues.push_back(
                {offset, next ? "bad length checksum; skipped " + byteCount(*next - at)
                                    + " to the next intact record at byte " + std::to_string(*next)
                              : "bad length checksum; no intact record follows"});
            if (!next)
                break;
            at = *next;
            continue;
        }
        const std::uint64_t length = readLe(bytes.data() + at, 8);
        if (length > left - kHeaderBytes || left - kHeaderBytes - length < kFooterBytes) {
            scan.issues.push_back({offset, "truncated record: it needs "
                                               + byteCount(kHeaderBytes + length + kFooterBytes)
                                               + ", the file has " + byteCount(left) + " left"});
            break;
        }
        const auto *data = bytes.data() + at + kHeaderBytes;
        if (maskedCrc32c({data, length}) != static_cast<std::uint32_t>(readLe(data + length, 4))) {
            scan.issues.push_back(
                {offset, "bad data checksum; the record's " + byteCount(length) + " were skipped"});
        } else {
            onRecord({reinterpret_cast<const char *>(data), length}, offset);
            ++scan.records;
        }
        at += kHeaderBytes + length + kFooterBytes;
    }
    return scan;
}

Result<RecordScan> readTfRecordFile(const std::filesystem::path &file,
                                    const RecordCallback &onRecord)
{
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorCode::Io, std::string("cannot open: ") + std::strerror(errno),
                    file.string());
    struct stat info
    {
    };
    if (::fstat(fd, &info) != 0) {
        const int error = errno;
        ::close(fd);
        return fail(ErrorCode::Io, std::string("cannot read: ") + std::strerror(error),
                    file.string());
    }
    const auto size = static_cast<std::size_t>(info.st_size);
    if (size == 0) {
        ::close(fd);
        return RecordScan{};
    }
    void *mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int error = errno;
    ::close(fd);
    if (mapped == MAP_FAILED)
        return fail(ErrorCode::Io, std::string("cannot map: ") + std::strerror(error),
                    file.string());
    ::madvise(mapped, size, MADV_SEQUENTIAL);
    auto scan = scanTfRecords({static_cast<const std::byte *>(mapped), size}, onRecord);
    ::munmap(mapped, size);
    return scan;
}

} // namespace lathe::interop
