#include "core/data/dataset.h"

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

PrefixDataset::PrefixDataset(std::shared_ptr<const Dataset> base, std::int64_t count)
    : m_base(std::move(base))
    , m_count(count)
{}

torch::Tensor PrefixDataset::labels() const
{
    return m_base->labels().narrow(0, 0, m_count);
}

torch::Tensor PrefixDataset::images(const torch::Tensor &indices) const
{
    TORCH_CHECK(indices.numel() == 0 || indices.max().item<std::int64_t>() < m_count,
                "sample index out of range for the first ", m_count, " samples");
    return m_base->images(indices);
}

std::string PrefixDataset::description() const
{
    return m_base->description() + " (first " + std::to_string(m_count) + ")";
}

torch::Tensor PrefixDataset::attribute(const std::string &name) const
{
    const torch::Tensor all = m_base->attribute(name);
    return all.defined() ? all.narrow(0, 0, m_count) : all;
}

} // namespace lathe::data
