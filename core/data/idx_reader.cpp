#include "core/data/idx_reader.h"

#include <torch/torch.h>

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <optional>

namespace lathe::data {

namespace {

// Refuse headers that claim more than this many elements before allocating anything.
constexpr std::uint64_t kMaxElements = std::uint64_t(1) << 31;
constexpr std::size_t kChunkBytes = std::size_t(4) << 20;

/// What one kind of IDX file must look like.
struct IdxSpec
{
    int rank;
    const char *kind;     ///< "IDX images (unsigned byte, 3 dimensions)"
    const char *dataName; ///< "pixel data"
};

constexpr IdxSpec kImageSpec{3, "IDX images (unsigned byte, 3 dimensions)", "pixel data"};
constexpr IdxSpec kLabelSpec{1, "IDX labels (unsigned byte, 1 dimension)", "label data"};

/// A parsed file: its dimensions and its payload as uint8 [product of dims].
struct IdxData
{
    std::vector<std::int64_t> dims;
    torch::Tensor bytes;
};

using GzHandle = std::unique_ptr<gzFile_s, int (*)(gzFile)>;

std::string located(const std::filesystem::path &path, std::uint64_t byte)
{
    return fmt::format("{}: byte {}", path.string(), byte);
}

Result<GzHandle> openGz(const std::filesystem::path &path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::Io, "file does not exist", path.string());
    if (std::filesystem::is_directory(path, ec))
        return fail(ErrorCode::Io, "is a directory, expected an IDX file", path.string());
    errno = 0;
    GzHandle file(gzopen(path.c_str(), "rb"), &gzclose);
    if (!file)
        return fail(ErrorCode::Io,
                    fmt::format("cannot open: {}", errno ? std::strerror(errno) : "zlib error"),
                    path.string());
    gzbuffer(file.get(), 1u << 18);
    return file;
}

/// zlib's message for the last error on `file`, without the file name it prefixes.
std::string zlibMessage(gzFile file, int *code)
{
    std::string message = gzerror(file, code);
    if (const auto colon = message.rfind(": "); colon != std::string::npos)
        message = message.substr(colon + 2);
    return message;
}

/// The error for a failed or short gzread, or nothing when the stream simply ended.
std::optional<Error> streamError(gzFile file, const std::filesystem::path &path,
                                 std::uint64_t offset)
{
    int code = Z_OK;
    const std::string message = zlibMessage(file, &code);
    if (code == Z_OK || code == Z_STREAM_END)
        return std::nullopt;
    if (code == Z_ERRNO)
        return Error{ErrorCode::Io, fmt::format("read failed: {}", std::strerror(errno)),
                     located(path, offset)};
    if (code == Z_BUF_ERROR)
        return Error{ErrorCode::BadInput,
                     fmt::format("truncated gzip stream ({}) after {} decompressed bytes: the "
                                 "compressed file is cut short",
                                 message, offset),
                     path.string()};
    return Error{ErrorCode::BadInput,
                 fmt::format("corrupt gzip stream ({}) after {} decompressed bytes, near "
                             "compressed byte {}: expected a valid gzip file",
                             message, offset, gzoffset(file)),
                 path.string()};
}

/// Reads up to `count` bytes; fewer only at the end of the data. A corrupt or cut gzip
/// stream is BadInput, a failing read Io.
Result<std::size_t> readBytes(gzFile file, std::uint8_t *dst, std::size_t count,
                              const std::filesystem::path &path, std::uint64_t offset)
{
    std::size_t done = 0;
    while (done < count) {
        const unsigned want = unsigned(std::min<std::size_t>(count - done, 1u << 30));
        const int got = gzread(file, dst + done, want);
        if (got <= 0) {
            // zlib reports a cut stream (Z_BUF_ERROR) as a short read, not as -1.
            if (auto error = streamError(file, path, offset + done))
                return std::unexpected(std::move(*error));
            break;
        }
        done += std::size_t(got);
    }
    return done;
}

std::uint32_t bigEndian32(const std::uint8_t *bytes)
{
    return (std::uint32_t(bytes[0]) << 24) | (std::uint32_t(bytes[1]) << 16)
           | (std::uint32_t(bytes[2]) << 8) | std::uint32_t(bytes[3]);
}

Result<void> checkMagic(const std::uint8_t *header, const IdxSpec &spec,
                        const std::filesystem::path &path)
{
    const std::uint32_t expected = 0x00000800u | std::uint32_t(spec.rank);
    if (header[0] != 0 || header[1] != 0)
        return fail(ErrorCode::BadInput,
                    fmt::format("bad magic number 0x{:08x}: expected 0x{:08x} ({})",
                                bigEndian32(header), expected, spec.kind),
                    located(path, 0));
    if (header[2] != 0x08)
        return fail(ErrorCode::BadInput,
                    fmt::format("unsupported IDX data type code 0x{:02x}: expected 0x08 "
                                "(unsigned byte) for {}",
                                header[2], spec.kind),
                    located(path, 2));
    if (header[3] != spec.rank)
        return fail(ErrorCode::BadInput,
                    fmt::format("IDX file has {} dimensions: expected {} ({})", header[3],
                                spec.rank, spec.kind),
                    located(path, 3));
    return {};
}

Result<std::vector<std::int64_t>> parseDims(const std::uint8_t *header, const IdxSpec &spec,
                                            const std::filesystem::path &path)
{
    std::vector<std::int64_t> dims;
    double elements = 1.0; // a double cannot overflow here: at most (2^32)^3
    std::string shape;
    for (int i = 0; i < spec.rank; ++i) {
        dims.push_back(std::int64_t(bigEndian32(header + 4 + 4 * i)));
        elements *= double(dims.back());
        shape += (i ? " x " : "") + std::to_string(dims.back());
        if (i > 0 && dims.back() == 0)
            return fail(ErrorCode::BadInput,
                        fmt::format("header claims a sample size of zero ({}): expected every "
                                    "dimension after the count to be at least 1",
                                    shape),
                        located(path, 4 + 4 * i));
    }
    if (elements > double(kMaxElements))
        return fail(ErrorCode::BadInput,
                    fmt::format("header claims {} = {:.0f} elements: more than the {} this reader "
                                "accepts (the header is corrupt or lies)",
                                shape, elements, kMaxElements),
                    located(path, 4));
    return dims;
}

/// Reads exactly `expected` payload bytes, refusing short or over-long data. Memory grows
/// only with what the file really holds, so a lying header cannot make us allocate much.
Result<torch::Tensor> readPayload(gzFile file, std::size_t expected, std::size_t headerBytes,
                                  const IdxSpec &spec, const std::filesystem::path &path)
{
    std::vector<std::vector<std::uint8_t>> chunks;
    std::size_t total = 0;
    while (total < expected) {
        std::vector<std::uint8_t> chunk(std::min(kChunkBytes, expected - total));
        auto got = readBytes(file, chunk.data(), chunk.size(), path, headerBytes + total);
        if (!got)
            return std::unexpected(got.error());
        total += *got;
        const bool shortRead = *got < chunk.size();
        chunk.resize(*got);
        chunks.push_back(std::move(chunk));
        if (shortRead)
            break;
    }
    if (total < expected)
        return fail(ErrorCode::BadInput,
                    fmt::format("truncated {}: expected {} bytes of {} after the {}-byte header, "
                                "found {}",
                                spec.dataName, expected, spec.dataName, headerBytes, total),
                    located(path, headerBytes + total));
    std::uint8_t extra = 0;
    auto trailing = readBytes(file, &extra, 1, path, headerBytes + total);
    if (!trailing)
        return std::unexpected(trailing.error());
    if (*trailing != 0)
        return fail(ErrorCode::BadInput,
                    fmt::format("expected end of file after {} bytes of {}, found more data "
                                "(the header's sizes are wrong)",
                                expected, spec.dataName),
                    located(path, headerBytes + total));
    torch::Tensor bytes = torch::empty({std::int64_t(expected)}, torch::kByte);
    std::uint8_t *dst = bytes.data_ptr<std::uint8_t>();
    for (const auto &chunk : chunks) {
        std::memcpy(dst, chunk.data(), chunk.size());
        dst += chunk.size();
    }
    return bytes;
}

Result<IdxData> readIdx(const std::filesystem::path &path, const IdxSpec &spec)
{
    auto file = openGz(path);
    if (!file)
        return std::unexpected(file.error());
    const std::size_t headerBytes = 4 + 4 * std::size_t(spec.rank);
    std::uint8_t header[16] = {};
    auto got = readBytes(file->get(), header, headerBytes, path, 0);
    if (!got)
        return std::unexpected(got.error());
    if (*got < headerBytes)
        return fail(ErrorCode::BadInput,
                    fmt::format("truncated header: expected {} bytes ({}), found {}", headerBytes,
                                spec.kind, *got),
                    located(path, *got));
    if (auto magic = checkMagic(header, spec, path); !magic)
        return std::unexpected(magic.error());
    auto dims = parseDims(header, spec, path);
    if (!dims)
        return std::unexpected(dims.error());
    std::size_t expected = 1;
    for (std::int64_t dim : *dims)
        expected *= std::size_t(dim);
    auto bytes = readPayload(file->get(), expected, headerBytes, spec, path);
    if (!bytes)
        return std::unexpected(bytes.error());
    return IdxData{std::move(*dims), std::move(*bytes)};
}

template<typename Fn>
auto guarded(const std::filesystem::path &path, Fn &&fn) -> decltype(fn())
{
    try {
        return fn();
    } catch (const std::bad_alloc &) {
        return fail(ErrorCode::Io, "out of memory while reading", path.string());
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, e.what(), path.string());
    }
}

} // namespace

Result<torch::Tensor> readIdxImages(const std::filesystem::path &path)
{
    return guarded(path, [&]() -> Result<torch::Tensor> {
        auto data = readIdx(path, kImageSpec);
        if (!data)
            return std::unexpected(data.error());
        return data->bytes.view({data->dims[0], 1, data->dims[1], data->dims[2]});
    });
}

Result<torch::Tensor> readIdxLabels(const std::filesystem::path &path)
{
    return guarded(path, [&]() -> Result<torch::Tensor> {
        auto data = readIdx(path, kLabelSpec);
        if (!data)
            return std::unexpected(data.error());
        return data->bytes.to(torch::kLong);
    });
}

namespace {

Result<void> checkLabels(const torch::Tensor &labels, std::size_t classCount,
                         const std::filesystem::path &labelsPath)
{
    const auto *values = labels.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < labels.size(0); ++i) {
        if (values[i] < 0 || std::uint64_t(values[i]) >= classCount)
            return fail(ErrorCode::BadInput,
                        fmt::format("label {} at index {} is out of range: expected 0..{} "
                                    "({} classes)",
                                    values[i], i, std::int64_t(classCount) - 1, classCount),
                        located(labelsPath, kLabelSpec.rank * 4 + 4 + std::uint64_t(i)));
    }
    return {};
}

} // namespace

Result<std::shared_ptr<TensorDataset>> loadIdxPair(const std::filesystem::path &imagesPath,
                                                   const std::filesystem::path &labelsPath,
                                                   std::vector<std::string> classNames)
{
    auto images = readIdxImages(imagesPath);
    if (!images)
        return std::unexpected(images.error());
    auto labels = readIdxLabels(labelsPath);
    if (!labels)
        return std::unexpected(labels.error());
    if (images->size(0) != labels->size(0))
        return fail(ErrorCode::BadInput,
                    fmt::format("the image file has {} images but the label file has {} labels: "
                                "expected the same count",
                                images->size(0), labels->size(0)),
                    imagesPath.string() + ", " + labelsPath.string());
    if (auto range = checkLabels(*labels, classNames.size(), labelsPath); !range)
        return std::unexpected(range.error());
    std::string description = fmt::format(
        "IDX {} ({} images {}x{}x{}, {} classes)", imagesPath.filename().string(), images->size(0),
        images->size(1), images->size(2), images->size(3), classNames.size());
    return std::make_shared<TensorDataset>(std::move(*images), std::move(*labels),
                                           std::move(classNames), std::move(description));
}

} // namespace lathe::data
