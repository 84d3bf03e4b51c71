#include "core/data/dataset.h"

#include "core/util/join.h"

#include <torch/torch.h>

#include <fmt/format.h>

namespace lathe::data {

TensorDataset::TensorDataset(torch::Tensor images, torch::Tensor labels,
                             std::vector<std::string> classNames, std::string description)
    : m_images(std::move(images))
    , m_labels(std::move(labels))
    , m_classNames(std::move(classNames))
    , m_description(std::move(description))
{
}

namespace {

Result<void> checkShapes(const torch::Tensor &images, const torch::Tensor &labels)
{
    if (!images.defined() || images.dim() != 4)
        return fail(ErrorCode::InvalidArgument, "images must be a 4-D tensor [N,C,H,W]",
                    "TensorDataset");
    if (images.scalar_type() != torch::kByte && images.scalar_type() != torch::kFloat)
        return fail(ErrorCode::InvalidArgument, "images must be uint8 or float32", "TensorDataset");
    if (!labels.defined() || labels.dim() != 1 || labels.size(0) != images.size(0))
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("labels must be a 1-D tensor of {} values", images.size(0)),
                    "TensorDataset");
    if (labels.is_floating_point() || labels.is_complex())
        return fail(ErrorCode::InvalidArgument, "labels must be integers", "TensorDataset");
    return {};
}

Result<void> checkLabelRange(const torch::Tensor &labels, std::size_t classCount)
{
    const auto *values = labels.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < labels.size(0); ++i) {
        if (values[i] < 0 || std::uint64_t(values[i]) >= classCount)
            return fail(ErrorCode::BadInput,
                        fmt::format("label {} at index {} is out of range: expected 0..{}",
                                    values[i], i, std::int64_t(classCount) - 1),
                        "TensorDataset");
    }
    return {};
}

} // namespace

Result<std::shared_ptr<TensorDataset>> TensorDataset::create(torch::Tensor images,
                                                             torch::Tensor labels,
                                                             std::vector<std::string> classNames,
                                                             std::string description)
{
    try {
        if (auto shapes = checkShapes(images, labels); !shapes)
            return std::unexpected(shapes.error());
        images = images.cpu().contiguous();
        labels = labels.cpu().to(torch::kLong).contiguous();
        if (auto range = checkLabelRange(labels, classNames.size()); !range)
            return std::unexpected(range.error());
        return std::make_shared<TensorDataset>(std::move(images), std::move(labels),
                                               std::move(classNames), std::move(description));
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, e.what(), "TensorDataset");
    }
}

std::int64_t TensorDataset::size() const
{
    return m_images.size(0);
}

std::vector<std::int64_t> TensorDataset::sampleShape() const
{
    return {m_images.size(1), m_images.size(2), m_images.size(3)};
}

const std::vector<std::string> &TensorDataset::classNames() const
{
    return m_classNames;
}

torch::Tensor TensorDataset::labels() const
{
    return m_labels;
}

torch::Tensor TensorDataset::images(const torch::Tensor &indices) const
{
    torch::Tensor picked = m_images.index_select(0, indices.to(torch::kLong));
    if (picked.scalar_type() == torch::kFloat)
        return picked;
    return picked.to(torch::kFloat).div_(255.0f);
}

std::string TensorDataset::description() const
{
    return m_description;
}

SubsetDataset::SubsetDataset(std::shared_ptr<const Dataset> base, torch::Tensor indices,
                             torch::Tensor labels, std::vector<std::string> classNames,
                             std::string description)
    : m_base(std::move(base))
    , m_indices(std::move(indices))
    , m_labels(std::move(labels))
    , m_classNames(std::move(classNames))
    , m_description(std::move(description))
{
}

torch::Tensor SubsetDataset::images(const torch::Tensor &indices) const
{
    return m_base->images(m_indices.index_select(0, indices.to(torch::kLong)));
}

torch::Tensor SubsetDataset::attribute(const std::string &name) const
{
    const torch::Tensor all = m_base->attribute(name);
    return all.defined() ? all.index_select(0, m_indices) : all;
}

std::shared_ptr<const Dataset> firstSamples(std::shared_ptr<const Dataset> dataset,
                                            std::int64_t count)
{
    if (!dataset || count <= 0 || count >= dataset->size())
        return dataset;
    return std::make_shared<SubsetDataset>(
        dataset, torch::arange(count, torch::kLong), dataset->labels().narrow(0, 0, count),
        dataset->classNames(), dataset->description() + " (first " + std::to_string(count) + ")");
}

Result<std::shared_ptr<const Dataset>> selectClasses(std::shared_ptr<const Dataset> dataset,
                                                     const std::vector<std::int64_t> &classes)
{
    if (!dataset || classes.empty())
        return dataset;
    const auto &names = dataset->classNames();
    if (classes.size() < 2)
        return fail(ErrorCode::InvalidArgument, "select at least two classes", "data.classes");
    std::vector<std::string> kept;
    for (auto c : classes) {
        if (c < 0 || c >= std::int64_t(names.size()))
            return fail(ErrorCode::InvalidArgument,
                        "class " + std::to_string(c)
                            + " does not exist; the dataset has classes 0 to "
                            + std::to_string(names.size() - 1),
                        "data.classes");
        kept.push_back(names[std::size_t(c)]);
    }
    try {
        const torch::Tensor labels = dataset->labels();
        torch::Tensor remap = torch::full({std::int64_t(names.size())}, -1, torch::kLong);
        for (std::size_t i = 0; i < classes.size(); ++i)
            remap[classes[i]] = std::int64_t(i);
        const torch::Tensor mapped = remap.index_select(0, labels);
        const torch::Tensor indices = mapped.ge(0).nonzero().flatten();
        return std::shared_ptr<const Dataset>(std::make_shared<SubsetDataset>(
            dataset, indices, mapped.index_select(0, indices), kept,
            dataset->description() + " (classes " + util::join(kept) + ")"));
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, std::string("cannot select classes: ") + e.what(),
                    "data.classes");
    }
}

} // namespace lathe::data
