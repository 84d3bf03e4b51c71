#include "core/data/image_folder.h"

#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>

#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

namespace lathe::data {

namespace fs = std::filesystem;

ImageFolderDataset::ImageFolderDataset(torch::Tensor images, torch::Tensor labels,
                                       std::vector<std::string> classNames, std::string description,
                                       std::vector<fs::path> files,
                                       std::vector<UnreadableItem> unreadable)
    : TensorDataset(std::move(images), std::move(labels), std::move(classNames),
                    std::move(description))
    , m_files(std::move(files))
    , m_unreadable(std::move(unreadable))
{
}

namespace {

constexpr std::int64_t kProgressEvery = 64;
// Refuse headers that claim more pixels than this (8192 x 8192) before allocating anything: every
// sample takes the first image's size, and a file of a few bytes may claim 2^24 x 2^24.
constexpr std::int64_t kMaxPixels = std::int64_t(1) << 26;

// Why a JPEG file would overflow stb_image 2.27 (Debian's libstb), or empty when it would not: a
// Huffman table (DHT) counting more than 256 codes makes stbi__build_huffman write past its
// arrays (fixed upstream in 2.28; found by fuzz_image_folder). Walks the file's markers, the
// entropy-coded data between them included, and checks every table before stb reads any.
std::string jpegHuffmanProblem(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    const std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
    // stb, as the standard allows, takes fill bytes (0xFF) before the start-of-image marker.
    std::size_t i = 0;
    while (i < b.size() && b[i] == 0xFF)
        ++i;
    if (i == 0 || i >= b.size() || b[i] != 0xD8)
        return {};
    ++i;
    while (i + 4 <= b.size()) {
        const unsigned char marker = b[i + 1];
        // Entropy-coded bytes, fill bytes, stuffed zeros, restart markers: no segment follows.
        if (b[i] != 0xFF || marker == 0xFF || marker == 0x00 || marker == 0x01
            || (marker >= 0xD0 && marker <= 0xD8)) {
            i += b[i] == 0xFF && marker != 0xFF ? 2 : 1;
            continue;
        }
        if (marker == 0xD9) // end of image
            break;
        const std::size_t length = std::size_t(b[i + 2]) << 8 | b[i + 3];
        if (marker == 0xC4) {
            // stb reads the segment's tables to their declared length, as zeros past the end
            // of the file.
            const auto byte = [&](std::size_t k) { return k < b.size() ? int(b[k]) : 0; };
            for (std::size_t p = i + 4; p < i + 2 + length;) {
                int codes = 0;
                for (std::size_t k = 1; k <= 16; ++k)
                    codes += byte(p + k);
                if (codes > 256)
                    return fmt::format("corrupt JPEG: a Huffman table counts {} codes (at most "
                                       "256)",
                                       codes);
                p += 17 + std::size_t(codes);
            }
        }
        i += 2 + std::max<std::size_t>(length, 2);
    }
    return {};
}

struct Candidate
{
    fs::path path;
    std::int64_t label = 0;
};

struct Scan
{
    std::vector<std::string> classNames;
    std::vector<Candidate> files;
};

bool isImageFile(const fs::directory_entry &entry)
{
    if (!entry.is_regular_file())
        return false;
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

std::vector<fs::path> sortedEntries(const fs::path &dir)
{
    std::vector<fs::path> entries;
    for (const fs::directory_entry &entry : fs::directory_iterator(dir))
        entries.push_back(entry.path());
    std::sort(entries.begin(), entries.end());
    return entries;
}

/// Classes are the sub-folders holding at least one image file, in name order.
Scan scanFolder(const fs::path &root)
{
    Scan scan;
    for (const fs::path &dir : sortedEntries(root)) {
        if (!fs::is_directory(dir))
            continue;
        std::vector<Candidate> images;
        for (const fs::path &file : sortedEntries(dir)) {
            if (isImageFile(fs::directory_entry(file)))
                images.push_back({file, std::int64_t(scan.classNames.size())});
        }
        if (images.empty())
            continue;
        scan.classNames.push_back(dir.filename().string());
        scan.files.insert(scan.files.end(), images.begin(), images.end());
    }
    return scan;
}

std::string stbReason()
{
    const char *reason = stbi_failure_reason();
    return reason ? reason : "unknown decoder error";
}

/// The common sample shape: the requested size or the first readable header's, and 3 channels
/// as soon as one header says colour. Files whose header cannot be read are reported here.
struct Shape
{
    int channels = 1;
    int height = 0;
    int width = 0;
};

Shape chooseShape(const std::vector<Candidate> &files, const ImageFolderOptions &options,
                  std::vector<bool> &readable, std::vector<UnreadableItem> &unreadable)
{
    Shape shape{1, int(options.height), int(options.width)};
    readable.assign(files.size(), false);
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (auto problem = jpegHuffmanProblem(files[i].path); !problem.empty()) {
            unreadable.push_back({files[i].path, std::move(problem)});
            continue;
        }
        int w = 0, h = 0, comp = 0;
        if (!stbi_info(files[i].path.c_str(), &w, &h, &comp)) {
            unreadable.push_back({files[i].path, stbReason()});
            continue;
        }
        // stb_image 2.27 decodes a BMP whose header says 0 rows; resizing it divides by zero.
        if (w <= 0 || h <= 0) {
            unreadable.push_back(
                {files[i].path,
                 fmt::format("its header claims {}x{} pixels: an empty image", w, h)});
            continue;
        }
        if (std::int64_t(w) * h > kMaxPixels) {
            unreadable.push_back(
                {files[i].path, fmt::format("its header claims {}x{} pixels: more than the {} "
                                            "this reader accepts",
                                            w, h, kMaxPixels)});
            continue;
        }
        readable[i] = true;
        if (comp >= 3)
            shape.channels = 3;
        if (shape.width <= 0 || shape.height <= 0) {
            shape.width = w;
            shape.height = h;
        }
    }
    return shape;
}

/// Decodes one file into `out` (C x H x W bytes), resizing when its size differs.
bool decodeInto(const fs::path &path, const Shape &shape, std::uint8_t *out, std::string &reason)
{
    int w = 0, h = 0, comp = 0;
    std::unique_ptr<stbi_uc, void (*)(void *)> pixels(
        stbi_load(path.c_str(), &w, &h, &comp, shape.channels), stbi_image_free);
    if (!pixels) {
        reason = stbReason();
        return false;
    }
    if (w <= 0 || h <= 0) {
        reason = fmt::format("it decodes to {}x{} pixels: an empty image", w, h);
        return false;
    }
    const int c = shape.channels;
    std::vector<std::uint8_t> resized;
    const std::uint8_t *hwc = pixels.get();
    if (w != shape.width || h != shape.height) {
        resized.resize(std::size_t(shape.width) * shape.height * c);
        if (!stbir_resize_uint8(hwc, w, h, 0, resized.data(), shape.width, shape.height, 0, c)) {
            reason = fmt::format("cannot resize {}x{} to {}x{}", w, h, shape.width, shape.height);
            return false;
        }
        hwc = resized.data();
    }
    const std::size_t plane = std::size_t(shape.width) * shape.height;
    for (std::size_t p = 0; p < plane; ++p)
        for (int ch = 0; ch < c; ++ch)
            out[ch * plane + p] = hwc[p * c + ch];
    return true;
}

std::string describe(const fs::path &root, std::int64_t count, std::size_t classes,
                     const Shape &shape)
{
    return fmt::format("Image folder {} ({} images, {} classes, {}x{}x{})", root.string(), count,
                       classes, shape.channels, shape.height, shape.width);
}

Result<std::shared_ptr<ImageFolderDataset>> decodeAll(const fs::path &root, Scan scan,
                                                      const ImageFolderOptions &options,
                                                      std::stop_token stop,
                                                      const LoadProgress &progress)
{
    std::vector<UnreadableItem> unreadable;
    std::vector<bool> readable;
    const Shape shape = chooseShape(scan.files, options, readable, unreadable);
    const auto total = std::int64_t(scan.files.size());
    const std::size_t sampleBytes = std::size_t(shape.channels) * shape.height * shape.width;
    torch::Tensor images
        = torch::empty({total, shape.channels, shape.height, shape.width}, torch::kByte);
    std::vector<std::int64_t> labels;
    std::vector<fs::path> files;
    auto *data = images.data_ptr<std::uint8_t>();
    for (std::int64_t i = 0; i < total; ++i) {
        if (stop.stop_requested())
            return fail(ErrorCode::Cancelled, "loading was cancelled", root.string());
        if (progress && i % kProgressEvery == 0)
            progress(i, total);
        if (!readable[std::size_t(i)])
            continue;
        const Candidate &file = scan.files[std::size_t(i)];
        std::string reason;
        if (!decodeInto(file.path, shape, data + files.size() * sampleBytes, reason)) {
            unreadable.push_back({file.path, reason});
            continue;
        }
        labels.push_back(file.label);
        files.push_back(file.path);
    }
    if (progress)
        progress(total, total);
    if (files.empty())
        return fail(ErrorCode::BadInput,
                    fmt::format("none of the {} image files could be decoded; first: {} ({})",
                                total, unreadable.front().path.string(), unreadable.front().reason),
                    root.string());
    const auto count = std::int64_t(files.size());
    images = images.narrow(0, 0, count).clone();
    torch::Tensor labelTensor = torch::tensor(labels, torch::kLong);
    std::string description = describe(root, count, scan.classNames.size(), shape);
    return std::make_shared<ImageFolderDataset>(std::move(images), std::move(labelTensor),
                                                std::move(scan.classNames), std::move(description),
                                                std::move(files), std::move(unreadable));
}

} // namespace

Result<std::shared_ptr<ImageFolderDataset>> loadImageFolder(const fs::path &root,
                                                            const ImageFolderOptions &options,
                                                            std::stop_token stop,
                                                            const LoadProgress &progress)
{
    try {
        std::error_code ec;
        if (!fs::is_directory(root, ec))
            return fail(ErrorCode::NotFound, "the image folder does not exist or is not a folder",
                        root.string());
        if (options.width < 0 || options.height < 0)
            return fail(ErrorCode::InvalidArgument, "image width and height must be >= 0",
                        root.string());
        Scan scan = scanFolder(root);
        if (scan.files.empty())
            return fail(ErrorCode::BadInput,
                        "no images found: expected <folder>/<class>/<image>.png|jpg|jpeg|bmp",
                        root.string());
        return decodeAll(root, std::move(scan), options, stop, progress);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Io, e.what(), root.string());
    }
}

} // namespace lathe::data
