// Lathe's datasets: the interface (lathe::data::Dataset, which plugins implement too, lives in
// the plugin SDK) and core's helpers built on it.
#pragma once

#include "core/util/error.h"
#include "plugins/sdk/lathe/dataset.h"

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe::data {

/// One mini-batch: x float32 [B,C,H,W], y int64 [B].
struct Batch
{
    torch::Tensor x;
    torch::Tensor y;
};

/// Some samples of another dataset, in a given order and with their own labels (a class
/// selection relabels them). Attributes are cut alike. Thread-safe when the dataset it views
/// is.
class SubsetDataset : public Dataset
{
public:
    /// Samples `indices` (int64 [n], each in [0, base->size())) of `base`, labelled `labels`
    /// (int64 [n], each in [0, classNames.size())). Preconditions are the callers'
    /// (firstSamples, selectClasses).
    SubsetDataset(std::shared_ptr<const Dataset> base, torch::Tensor indices, torch::Tensor labels,
                  std::vector<std::string> classNames, std::string description);

    std::int64_t size() const override { return m_indices.size(0); }
    std::vector<std::int64_t> sampleShape() const override { return m_base->sampleShape(); }
    const std::vector<std::string> &classNames() const override { return m_classNames; }
    torch::Tensor labels() const override { return m_labels; }
    torch::Tensor images(const torch::Tensor &indices) const override;
    std::string description() const override { return m_description; }
    std::vector<std::string> attributeNames() const override { return m_base->attributeNames(); }
    torch::Tensor attribute(const std::string &name) const override;

private:
    std::shared_ptr<const Dataset> m_base;
    torch::Tensor m_indices;
    torch::Tensor m_labels;
    std::vector<std::string> m_classNames;
    std::string m_description;
};

/// The first `count` samples of `dataset` (itself when count is 0 or covers it; null stays
/// null). Never throws.
std::shared_ptr<const Dataset> firstSamples(std::shared_ptr<const Dataset> dataset,
                                            std::int64_t count);

/// Only the samples of `classes` (label indices of `dataset`), relabelled 0..n-1 in that order
/// with those class names. `dataset` itself when `classes` is empty. InvalidArgument (context
/// "data.classes") for a class index out of range or fewer than two classes. Never throws.
Result<std::shared_ptr<const Dataset>> selectClasses(std::shared_ptr<const Dataset> dataset,
                                                     const std::vector<std::int64_t> &classes);

/// A dataset held in memory: images uint8 [N,C,H,W] (scaled by 1/255 on the way out) or
/// float32 [N,C,H,W] already in [0, 1] (returned as is), labels int64 [N]. Gathers with
/// index_select. Immutable after construction, so every method is thread-safe.
class TensorDataset : public Dataset
{
public:
    /// Takes the tensors as they are. Preconditions (checked by create(), not here): images
    /// uint8 or float32 with 4 dims on the CPU, labels int64 [N] with values in
    /// [0, classNames.size()). Never throws.
    TensorDataset(torch::Tensor images, torch::Tensor labels, std::vector<std::string> classNames,
                  std::string description = {});

    /// Validates the preconditions above and builds the dataset (making the tensors
    /// contiguous, labels converted to int64). InvalidArgument names the tensor and what was
    /// expected; BadInput names the first out-of-range label. Never throws.
    static Result<std::shared_ptr<TensorDataset>> create(torch::Tensor images, torch::Tensor labels,
                                                         std::vector<std::string> classNames,
                                                         std::string description = {});

    std::int64_t size() const override;
    std::vector<std::int64_t> sampleShape() const override;
    const std::vector<std::string> &classNames() const override;
    torch::Tensor labels() const override;
    torch::Tensor images(const torch::Tensor &indices) const override;
    std::string description() const override;

    /// The stored images, uint8 or float32 [N,C,H,W] (no copy).
    const torch::Tensor &rawImages() const { return m_images; }

private:
    torch::Tensor m_images;
    torch::Tensor m_labels;
    std::vector<std::string> m_classNames;
    std::string m_description;
};

} // namespace lathe::data
