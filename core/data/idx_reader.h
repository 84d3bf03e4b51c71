#pragma once

#include "core/data/dataset.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lathe::data {

/// Reads an IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions N x H x W), gzip
/// compressed or not, into a uint8 tensor [N,1,H,W]. Io when the file is missing or
/// unreadable; BadInput, with the file name and byte offset in the context and what was
/// expected in the message, for a short header, a wrong magic/type/rank, a header whose sizes
/// are absurd (over 2^31 elements, refused before allocating), pixel data shorter or longer
/// than the header says, or a corrupt gzip stream. Never throws; thread-safe.
Result<torch::Tensor> readIdxImages(const std::filesystem::path &path);

/// Reads an IDX label file (magic 0x00000801: unsigned bytes, 1 dimension N), gzip compressed
/// or not, into an int64 tensor [N]. Same error contract as readIdxImages. Never throws;
/// thread-safe.
Result<torch::Tensor> readIdxLabels(const std::filesystem::path &path);

/// Reads an image file and its label file into a TensorDataset. Besides the readers' errors:
/// BadInput when the two counts differ (both files named) or a label is not below
/// classNames.size() (label file, index and value named). Never throws; thread-safe.
Result<std::shared_ptr<TensorDataset>> loadIdxPair(const std::filesystem::path &imagesPath,
                                                   const std::filesystem::path &labelsPath,
                                                   std::vector<std::string> classNames);

} // namespace lathe::data
