// Feature maps: what a named stage of a Net outputs for one sample.
#pragma once

#include "core/train/open_run.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::inspect {

/// One stage of a Net as inspection sees it.
struct LayerInfo
{
    std::string name;                ///< the stage name (a tap)
    std::vector<std::int64_t> shape; ///< its output for one sample: {C,H,W}, {T,D} or {F}
    bool spatial = false;            ///< a [C,H,W] output (feature maps and Grad-CAM apply)
};

/// Every stage of `net` in forward order with its output shape, found by one forward pass of
/// a zero input of `inputShape` ({C,H,W}) with all taps on. Thread-safety: uses `net`.
std::vector<LayerInfo> listLayers(model::Net &net, const std::vector<std::int64_t> &inputShape);

/// The name of the last top-level spatial stage in `layers` whose map is larger than 1x1 (else
/// the last spatial one, nested layers last): what Grad-CAM and the feature-map view use by
/// default; an empty string when no stage is spatial (an MLP).
std::string lastSpatialLayer(const std::vector<LayerInfo> &layers);

/// The output of stage `layer` for `input` ([1,C,H,W], already prepared), without the batch
/// dimension: [C,H,W] for a spatial stage, else [F] or [T,D]. No gradient is recorded.
/// InvalidArgument naming the layer and listing the stages when it does not exist.
Result<torch::Tensor> featureMaps(model::Net &net, const torch::Tensor &input,
                                  const std::string &layer);

} // namespace lathe::inspect
