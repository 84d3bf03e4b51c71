#include "core/data/fashion_mnist.h"

#include "core/data/idx_reader.h"

#include <torch/torch.h>

#include <fmt/format.h>

namespace lathe::data {

namespace {

constexpr const char *kInstallHint
    = "install the Debian package dataset-fashion-mnist or set data.path";

} // namespace

const std::vector<std::string> &fashionMnistClassNames()
{
    static const std::vector<std::string> names{"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                "Bag",         "Ankle boot"};
    return names;
}

std::filesystem::path defaultFashionMnistDir()
{
    return "/usr/share/datasets/fashion-mnist";
}

Result<std::shared_ptr<TensorDataset>> loadFashionMnist(const std::filesystem::path &dir,
                                                        Split split)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return fail(ErrorCode::NotFound,
                    fmt::format("Fashion-MNIST directory not found: {}", kInstallHint),
                    dir.string());
    const std::string prefix = split == Split::Train ? "train" : "t10k";
    const auto images = dir / (prefix + "-images-idx3-ubyte.gz");
    const auto labels = dir / (prefix + "-labels-idx1-ubyte.gz");
    for (const auto &file : {images, labels}) {
        if (!std::filesystem::exists(file, ec))
            return fail(ErrorCode::NotFound,
                        fmt::format("Fashion-MNIST file missing: {}", kInstallHint), file.string());
    }
    auto dataset = loadIdxPair(images, labels, fashionMnistClassNames());
    if (!dataset)
        return dataset;
    auto described = std::make_shared<TensorDataset>(
        (*dataset)->rawImages(), (*dataset)->labels(), fashionMnistClassNames(),
        fmt::format("Fashion-MNIST {} ({} images 1x28x28, 10 classes) from {}",
                    split == Split::Train ? "train" : "test", (*dataset)->size(), dir.string()));
    return described;
}

} // namespace lathe::data
