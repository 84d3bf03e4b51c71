// Fuzzes the IDX reader (core/data/idx_reader.h) as the fashion-mnist and idx dataset readers use
// it: the input is read as an image file and as a label file, once as it is (raw, or gzip when it
// is one) and once gzip-compressed by the harness, so that mutations of the IDX structure are
// also read through zlib. What is read from the compressed copy must be exactly the input.
#include "fuzz_support.h"

#include "core/data/idx_reader.h"

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace lathe;

/// `bytes` gzip-compressed.
std::string gzipped(std::string_view bytes)
{
    z_stream stream{};
    // windowBits 15 + 16: a gzip header and trailer, as gzip(1) writes.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
        fuzz::finding("deflateInit2 failed");
    std::string out(deflateBound(&stream, uLong(bytes.size())) + 32, '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
    stream.avail_in = uInt(bytes.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = uInt(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END)
        fuzz::finding("deflate did not finish");
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

/// Reads `file` both ways; returns how many elements each reading holds (-1 when refused).
std::pair<std::int64_t, std::int64_t> readBoth(const std::filesystem::path &file)
{
    std::pair<std::int64_t, std::int64_t> counts{-1, -1};
    if (auto images = data::readIdxImages(file))
        counts.first = images->numel();
    else
        fuzz::expectRejection(images.error(), file);
    if (auto labels = data::readIdxLabels(file))
        counts.second = labels->numel();
    else
        fuzz::expectRejection(labels.error(), file);
    return counts;
}

} // namespace

LATHE_FUZZ_TEST_ONE_INPUT(idx)
{
    static const fuzz::ScratchDir scratch;
    const auto bytes = fuzz::bytesOf(data, size);
    readBoth(scratch.write("input-idx-ubyte", bytes));
    const auto [images, labels] = readBoth(scratch.write("input-idx-ubyte.gz", gzipped(bytes)));
    // 16 header bytes before the pixels of an image file, 8 before the labels.
    if (images >= 0 && images != std::int64_t(size) - 16)
        fuzz::finding("read " + std::to_string(images) + " pixels from " + std::to_string(size)
                      + " bytes of IDX images");
    if (labels >= 0 && labels != std::int64_t(size) - 8)
        fuzz::finding("read " + std::to_string(labels) + " labels from " + std::to_string(size)
                      + " bytes of IDX labels");
    return 0;
}
