#include "core/formats/zip_check.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::formats {
namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kEndOfDirectory = 0x06054b50;
constexpr std::uint32_t kZip64End = 0x06064b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kLocatorSize = 20;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kCentralSize = 46;
constexpr std::size_t kLocalSize = 30;
constexpr std::size_t kBlock = 1 << 20;

std::uint64_t little(const unsigned char *p, int bytes)
{
    std::uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i)
        value = value << 8 | p[i];
    return value;
}

struct FileCloser
{
    void operator()(std::FILE *file) const { std::fclose(file); }
};

/// Random access to the archive's bytes; every read is bounds-checked against the file size.
class Archive
{
public:
    Archive(std::FILE *file, std::uint64_t size, std::string name, std::string_view what)
        : m_file(file)
        , m_size(size)
        , m_name(std::move(name))
        , m_what(what)
    {
    }

    std::uint64_t size() const { return m_size; }

    std::unexpected<Error> damaged(const std::string &what) const
    {
        return fail(ErrorCode::BadInput,
                    std::string(m_what) + " is not a readable zip archive: " + what, m_name);
    }

    /// `count` bytes at `offset`, or BadInput saying what they were (`what`) when they lie
    /// past the end of the file.
    Result<std::vector<unsigned char>> read(std::uint64_t offset, std::uint64_t count,
                                            const char *what) const
    {
        if (offset > m_size || count > m_size - offset)
            return damaged(fmt::format("the {} at byte {} runs past the end of the file ({} bytes)",
                                       what, offset, m_size));
        std::vector<unsigned char> bytes(count);
        if (fseeko(m_file, static_cast<off_t>(offset), SEEK_SET) != 0
            || std::fread(bytes.data(), 1, count, m_file) != count)
            return fail(ErrorCode::Io,
                        fmt::format("cannot read {} bytes at byte {}", count, offset), m_name);
        return bytes;
    }

    /// Feeds the `count` bytes at `offset` to `sink` in blocks.
    template<typename Sink>
    Result<void> stream(std::uint64_t offset, std::uint64_t count, Sink &&sink) const
    {
        if (fseeko(m_file, static_cast<off_t>(offset), SEEK_SET) != 0)
            return fail(ErrorCode::Io, fmt::format("cannot seek to byte {}", offset), m_name);
        std::vector<unsigned char> block(static_cast<std::size_t>(
            std::min<std::uint64_t>(kBlock, std::max<std::uint64_t>(count, 1))));
        while (count > 0) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(count, block.size()));
            if (std::fread(block.data(), 1, n, m_file) != n)
                return fail(ErrorCode::Io, fmt::format("cannot read byte {}", offset), m_name);
            if (auto ok = sink(block.data(), n); !ok)
                return ok;
            count -= n;
            offset += n;
        }
        return {};
    }

private:
    std::FILE *m_file;
    std::uint64_t m_size;
    std::string m_name;
    std::string_view m_what;
};

struct Directory
{
    std::uint64_t entries = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
};

/// The end-of-central-directory record (and its zip64 form where the archive has one).
Result<Directory> findDirectory(const Archive &archive)
{
    if (archive.size() < kEndSize)
        return archive.damaged(fmt::format("{} bytes is too short for a zip archive (at least {})",
                                           archive.size(), kEndSize));
    // The record is the last thing in the file but for a comment of at most 65,535 bytes.
    const std::uint64_t tail = std::min<std::uint64_t>(archive.size(), kEndSize + 0xffff);
    auto bytes = archive.read(archive.size() - tail, tail, "end of the archive");
    if (!bytes)
        return std::unexpected(bytes.error());
    const unsigned char *base = bytes->data();
    std::optional<std::uint64_t> end;
    for (std::uint64_t at = tail - kEndSize + 1; at-- > 0;) {
        const unsigned char *p = base + at;
        if (little(p, 4) == kEndOfDirectory && at + kEndSize + little(p + 20, 2) == tail) {
            end = at;
            break;
        }
    }
    if (!end)
        return archive.damaged("it has no end-of-central-directory record (not a zip file, or "
                               "its end was cut off)");
    const unsigned char *p = base + *end;
    const std::uint64_t endOffset = archive.size() - tail + *end;
    if (little(p + 4, 2) != 0 || little(p + 6, 2) != 0)
        return archive.damaged("it is one part of a multi-part archive");
    Directory directory{little(p + 10, 2), little(p + 16, 4), little(p + 12, 4)};
    std::uint64_t directoryEnd = endOffset;
    if (endOffset >= kLocatorSize) {
        auto locator = archive.read(endOffset - kLocatorSize, kLocatorSize, "zip64 locator");
        if (!locator)
            return std::unexpected(locator.error());
        if (little(locator->data(), 4) == kZip64Locator) {
            const std::uint64_t at = little(locator->data() + 8, 8);
            auto record = archive.read(at, kZip64EndSize, "zip64 end-of-directory record");
            if (!record)
                return std::unexpected(record.error());
            const unsigned char *q = record->data();
            if (little(q, 4) != kZip64End)
                return archive.damaged(
                    fmt::format("the zip64 end-of-directory record at byte {} has a wrong "
                                "signature",
                                at));
            directory = {little(q + 32, 8), little(q + 48, 8), little(q + 40, 8)};
            directoryEnd = at;
        }
    }
    if (directory.offset > directoryEnd || directory.size > directoryEnd - directory.offset)
        return archive.damaged(fmt::format(
            "its central directory ({} bytes at byte {}) does not end before its end record "
            "(byte {})",
            directory.size, directory.offset, directoryEnd));
    if (directory.entries > directory.size / kCentralSize)
        return archive.damaged(
            fmt::format("it claims {} entries in a central directory of {} bytes",
                        directory.entries, directory.size));
    return directory;
}

struct Entry
{
    std::string name;
    std::uint32_t flags = 0;
    std::uint32_t method = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0;
    std::uint64_t uncompressed = 0;
    std::uint64_t localOffset = 0;
};

/// Replaces the 32-bit sizes and offset that say "in the zip64 extra field" by its values.
Result<void> readZip64Extra(const Archive &archive, const unsigned char *extra, std::size_t size,
                            Entry &entry)
{
    std::size_t at = 0;
    while (at + 4 <= size) {
        const auto id = little(extra + at, 2);
        const auto length = little(extra + at + 2, 2);
        if (at + 4 + length > size)
            break;
        if (id == 0x0001) {
            const unsigned char *p = extra + at + 4;
            std::size_t used = 0;
            for (std::uint64_t *field :
                 {&entry.uncompressed, &entry.compressed, &entry.localOffset}) {
                if (*field != 0xffffffff)
                    continue;
                if (used + 8 > length)
                    return archive.damaged(fmt::format(
                        "entry '{}': its zip64 field is too short for its sizes", entry.name));
                *field = little(p + used, 8);
                used += 8;
            }
            return {};
        }
        at += 4 + length;
    }
    if (entry.uncompressed == 0xffffffff || entry.compressed == 0xffffffff
        || entry.localOffset == 0xffffffff)
        return archive.damaged(
            fmt::format("entry '{}' has 64-bit sizes but no zip64 field", entry.name));
    return {};
}

/// The CRC-32 of the entry's data, inflating it when it is deflated; checks that the data ends
/// where its stored size says.
Result<std::uint32_t> dataCrc(const Archive &archive, const Entry &entry, std::uint64_t data)
{
    std::uint32_t crc = static_cast<std::uint32_t>(::crc32(0, nullptr, 0));
    if (entry.method == 0) {
        if (entry.compressed != entry.uncompressed)
            return archive.damaged(
                fmt::format("entry '{}' is stored uncompressed but its sizes differ ({} and {})",
                            entry.name, entry.compressed, entry.uncompressed));
        auto ok = archive.stream(data, entry.compressed,
                                 [&](const unsigned char *bytes, std::size_t n) -> Result<void> {
                                     crc = static_cast<std::uint32_t>(::crc32_z(crc, bytes, n));
                                     return {};
                                 });
        if (!ok)
            return std::unexpected(ok.error());
        return crc;
    }
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
        return fail(ErrorCode::Internal, "zlib could not start inflating");
    const std::unique_ptr<z_stream, int (*)(z_streamp)> guard(&stream, inflateEnd);
    std::vector<unsigned char> out(kBlock);
    std::uint64_t produced = 0;
    int status = Z_OK;
    auto ok = archive.stream(
        data, entry.compressed, [&](const unsigned char *bytes, std::size_t n) -> Result<void> {
            stream.next_in = const_cast<unsigned char *>(bytes);
            stream.avail_in = static_cast<uInt>(n);
            while (stream.avail_in > 0 && status != Z_STREAM_END) {
                stream.next_out = out.data();
                stream.avail_out = static_cast<uInt>(out.size());
                status = inflate(&stream, Z_NO_FLUSH);
                if (status != Z_OK && status != Z_STREAM_END)
                    return archive.damaged(
                        fmt::format("entry '{}': its deflated data is corrupt ({})", entry.name,
                                    stream.msg ? stream.msg : "zlib error"));
                const std::size_t got = out.size() - stream.avail_out;
                crc = static_cast<std::uint32_t>(::crc32_z(crc, out.data(), got));
                produced += got;
            }
            return {};
        });
    if (!ok)
        return std::unexpected(ok.error());
    if (status != Z_STREAM_END || produced != entry.uncompressed)
        return archive.damaged(fmt::format(
            "entry '{}': its deflated data gives {} bytes{}, not the {} it claims", entry.name,
            produced, status == Z_STREAM_END ? "" : " and stops early", entry.uncompressed));
    return crc;
}

Result<void> verifyEntry(const Archive &archive, const Entry &entry, std::uint64_t dataLimit)
{
    if (entry.flags & 0x1)
        return archive.damaged(fmt::format("entry '{}' is encrypted", entry.name));
    if (entry.method != 0 && entry.method != 8)
        return archive.damaged(
            fmt::format("entry '{}' uses compression method {} (only stored and deflated are read)",
                        entry.name, entry.method));
    auto local = archive.read(entry.localOffset, kLocalSize, "local header");
    if (!local)
        return std::unexpected(local.error());
    const unsigned char *p = local->data();
    if (little(p, 4) != kLocalHeader)
        return archive.damaged(
            fmt::format("entry '{}': no local header at byte {} where the directory points",
                        entry.name, entry.localOffset));
    const auto nameLength = little(p + 26, 2);
    const auto extraLength = little(p + 28, 2);
    auto name = archive.read(entry.localOffset + kLocalSize, nameLength, "local header's name");
    if (!name)
        return std::unexpected(name.error());
    if (std::string(name->begin(), name->end()) != entry.name)
        return archive.damaged(fmt::format("entry '{}': its local header names it '{}'", entry.name,
                                           std::string(name->begin(), name->end())));
    const std::uint64_t data = entry.localOffset + kLocalSize + nameLength + extraLength;
    if (data > dataLimit || entry.compressed > dataLimit - data)
        return archive.damaged(
            fmt::format("entry '{}': its {} bytes at byte {} run into the central directory (byte "
                        "{})",
                        entry.name, entry.compressed, data, dataLimit));
    auto crc = dataCrc(archive, entry, data);
    if (!crc)
        return std::unexpected(crc.error());
    if (*crc != entry.crc)
        return archive.damaged(fmt::format(
            "entry '{}': its CRC-32 is {:#010x} but its data gives {:#010x}: the file is damaged",
            entry.name, entry.crc, *crc));
    return {};
}

} // namespace

Result<ZipSummary> verifyZipArchive(const std::filesystem::path &file, std::string_view what)
{
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return fail(ErrorCode::NotFound, "no such file", file.string());
    if (std::filesystem::is_directory(file, ec))
        return fail(ErrorCode::BadInput, "is a directory, not a file", file.string());
    const std::unique_ptr<std::FILE, FileCloser> handle(std::fopen(file.c_str(), "rb"));
    const auto size = std::filesystem::file_size(file, ec);
    if (!handle || ec)
        return fail(ErrorCode::Io, "cannot open the file for reading", file.string());
    const Archive archive(handle.get(), size, file.string(), what);

    auto directory = findDirectory(archive);
    if (!directory)
        return std::unexpected(directory.error());
    auto bytes = archive.read(directory->offset, directory->size, "central directory");
    if (!bytes)
        return std::unexpected(bytes.error());

    ZipSummary summary;
    std::size_t at = 0;
    for (std::uint64_t i = 0; i < directory->entries; ++i) {
        if (at + kCentralSize > bytes->size())
            return archive.damaged(fmt::format(
                "its central directory ends after {} of its {} entries", i, directory->entries));
        const unsigned char *p = bytes->data() + at;
        if (little(p, 4) != kCentralHeader)
            return archive.damaged(
                fmt::format("central directory entry {} (byte {}) has a wrong signature", i,
                            directory->offset + at));
        Entry entry;
        entry.flags = static_cast<std::uint32_t>(little(p + 8, 2));
        entry.method = static_cast<std::uint32_t>(little(p + 10, 2));
        entry.crc = static_cast<std::uint32_t>(little(p + 16, 4));
        entry.compressed = little(p + 20, 4);
        entry.uncompressed = little(p + 24, 4);
        const auto nameLength = little(p + 28, 2);
        const auto extraLength = little(p + 30, 2);
        const auto commentLength = little(p + 32, 2);
        entry.localOffset = little(p + 42, 4);
        const std::size_t record = kCentralSize + nameLength + extraLength + commentLength;
        if (at + record > bytes->size())
            return archive.damaged(
                fmt::format("central directory entry {} runs past the end of the directory", i));
        entry.name.assign(p + kCentralSize, p + kCentralSize + nameLength);
        if (auto ok = readZip64Extra(archive, p + kCentralSize + nameLength, extraLength, entry);
            !ok)
            return std::unexpected(ok.error());
        if (auto ok = verifyEntry(archive, entry, directory->offset); !ok)
            return std::unexpected(ok.error());
        summary.entries += 1;
        summary.dataBytes += static_cast<std::int64_t>(entry.compressed);
        at += record;
    }
    return summary;
}

} // namespace lathe::formats
