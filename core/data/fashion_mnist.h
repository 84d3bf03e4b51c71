#pragma once

#include "core/data/dataset.h"
#include "core/util/error.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lathe::data {

/// Which half of a dataset published with a fixed train/test split.
enum class Split { Train, Test };

/// Fashion-MNIST's ten class names, in label order ("T-shirt/top" ... "Ankle boot").
/// Thread-safe.
const std::vector<std::string> &fashionMnistClassNames();

/// Default location of Fashion-MNIST: the Debian package dataset-fashion-mnist's directory.
std::filesystem::path defaultFashionMnistDir();

/// Loads Fashion-MNIST's train (60,000) or test (10,000) images and labels from `dir`, which
/// holds {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz. NotFound, with a hint to install
/// dataset-fashion-mnist or set data.path, when the directory or a file is missing; otherwise
/// loadIdxPair's errors. Never throws; thread-safe.
Result<std::shared_ptr<TensorDataset>> loadFashionMnist(const std::filesystem::path &dir,
                                                        Split split);

} // namespace lathe::data
