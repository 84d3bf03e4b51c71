#pragma once

#include "core/data/dataset.h"
#include "core/data/unreadable_item.h"
#include "core/util/error.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>
#include <vector>

namespace lathe::data {

/// How loadImageFolder sizes the samples. Every sample gets one shape {C,H,W}: images of
/// another size are resized to it (stb_image_resize, box/Mitchell filter), so a folder of mixed
/// sizes still trains.
struct ImageFolderOptions
{
    std::int64_t width = 0;  ///< 0: the width of the first readable image (in sorted order)
    std::int64_t height = 0; ///< 0: the height of the first readable image
};

/// An image-classification folder `<root>/<class>/*.{png,jpg,jpeg,bmp}` decoded into memory
/// (uint8 [N,C,H,W], one byte per pixel and channel). Classes are the sub-folders that hold at
/// least one image file, sorted by name; samples are sorted by class then file name. C is 1
/// when every image is grayscale (alpha is dropped) and 3 as soon as one is colour (grayscale
/// images are then replicated to RGB). Files that cannot be decoded, or whose header claims more
/// than 8192 x 8192 pixels, are skipped and listed in unreadable(). Immutable after loading, so
/// every method is thread-safe.
class ImageFolderDataset : public TensorDataset
{
public:
    /// Use loadImageFolder(); public for std::make_shared.
    ImageFolderDataset(torch::Tensor images, torch::Tensor labels,
                       std::vector<std::string> classNames, std::string description,
                       std::vector<std::filesystem::path> files,
                       std::vector<UnreadableItem> unreadable);

    /// The file each sample was decoded from, index-aligned with the samples.
    const std::vector<std::filesystem::path> &files() const { return m_files; }
    /// The files that were skipped, with the decoder's reason, in scan order.
    const std::vector<UnreadableItem> &unreadable() const { return m_unreadable; }

private:
    std::vector<std::filesystem::path> m_files;
    std::vector<UnreadableItem> m_unreadable;
};

/// Progress of a long load: `done` of `total` files decoded.
using LoadProgress = std::function<void(std::int64_t done, std::int64_t total)>;

/// Scans and decodes an image folder (see ImageFolderDataset). NotFound when `root` is not a
/// directory; BadInput, naming the folder, when it holds no class sub-folder with an image
/// file, or when no image could be decoded (the first unreadable file and its reason named);
/// Cancelled when `stop` is requested. Unreadable files never fail the load: they are skipped
/// and reported. `progress` (optional) is called from the calling thread every few files.
/// Never throws; thread-safe (no shared state).
Result<std::shared_ptr<ImageFolderDataset>> loadImageFolder(const std::filesystem::path &root,
                                                            const ImageFolderOptions &options = {},
                                                            std::stop_token stop = {},
                                                            const LoadProgress &progress = {});

} // namespace lathe::data
