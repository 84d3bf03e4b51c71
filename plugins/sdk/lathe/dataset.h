// The dataset interface of the plugin SDK: what a dataset reader returns and what a metric
// reads. Header-only and C++20, like plugin.h; it needs LibTorch's tensor header only (a plugin
// that makes tensors includes <torch/torch.h> itself). Lathe's own datasets derive from it too
// (core/data/dataset.h adds the helpers: TensorDataset, SubsetDataset, selectClasses, ...).
//
// The class keeps the name lathe::data::Dataset it had in core (rather than a new
// lathe::sdk::Dataset that core would alias): plugin.h's forward declaration, the mangled names
// and the type_info that Lathe and ABI 1 plugins exchange stay exactly as they were, so moving
// the class here changed no binary.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::data {

/// A labelled dataset (images [C,H,W], or tabular rows as [F,1,1]) that the loader, the stats,
/// the trainer and metrics read from. Implementations must make every const method safe to
/// call from several threads at once (the loader calls images() on its producer thread while
/// the GUI may read labels()).
///
/// ABI: the order of these virtual functions is part of the plugin ABI (plugin.h). New ones are
/// appended after the last, with an inline default, never inserted or changed.
class Dataset
{
public:
    virtual ~Dataset() = default;

    /// Number of samples N.
    virtual std::int64_t size() const = 0;
    /// Shape of one sample, {C, H, W}.
    virtual std::vector<std::int64_t> sampleShape() const = 0;
    /// Class names; a label value is an index into this list.
    virtual const std::vector<std::string> &classNames() const = 0;
    /// All labels, int64 [N], each in [0, classNames().size()).
    virtual at::Tensor labels() const = 0;
    /// The samples at `indices` (int64 [B], each in [0, N)) as float32 [B,C,H,W] in [0, 1].
    /// May throw (c10::Error for an index out of range, or whatever a reader hits): callers
    /// at a public boundary (Loader, measureNormalization's users) turn that into an Error.
    virtual at::Tensor images(const at::Tensor &indices) const = 0;
    /// One line for logs and the GUI: what this is and where it came from.
    virtual std::string description() const = 0;

    /// The names of the per-sample attributes a metric may group by (a tabular dataset's
    /// columns, say); none by default. Inline, so a plugin's dataset needs no Lathe symbol.
    virtual std::vector<std::string> attributeNames() const { return {}; }
    /// Attribute `name` of every sample as float64 [N]; an undefined tensor when there is no
    /// such attribute.
    virtual at::Tensor attribute(const std::string & /*name*/) const { return {}; }
};

} // namespace lathe::data
