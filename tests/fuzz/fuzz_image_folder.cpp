// Fuzzes image decoding in the image-folder dataset reader (core/data/image_folder.h,
// loadImageFolder, stb_image behind it): the input is the one image of a class folder, read with
// the reader's default options (every sample at the first image's size). An image that decodes
// is read again resized to 17 x 9, as the reader's width and height options ask.
#include "fuzz_support.h"

#include "core/data/image_folder.h"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace lathe;

LATHE_FUZZ_TEST_ONE_INPUT(image_folder)
{
    static const fuzz::ScratchDir scratch;
    // stb recognises the format by its content, whatever the extension.
    scratch.write("class/image.png", fuzz::bytesOf(data, size));
    auto folder = data::loadImageFolder(scratch.path());
    if (!folder) {
        fuzz::expectRejection(folder.error(), scratch.path());
        return 0;
    }
    if ((*folder)->size() != 1 || !(*folder)->unreadable().empty())
        fuzz::finding("one decodable image, but " + std::to_string((*folder)->size())
                      + " samples were read");
    const auto channels = (*folder)->sampleShape().front();
    auto resized = data::loadImageFolder(scratch.path(), {17, 9});
    if (!resized)
        fuzz::finding("an image that decodes cannot be resized: " + resized.error().toString());
    if ((*resized)->sampleShape() != std::vector<std::int64_t>{channels, 9, 17})
        fuzz::finding("resized to 17 x 9, but the samples have another shape");
    return 0;
}
