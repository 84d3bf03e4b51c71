#pragma once

#include "core/model/model_spec.h"
#include "core/model/net.h"
#include "core/util/error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::model {

/// One architecture of the zoo: the name model.arch selects and a one-line description (what
/// its widths mean and their default), as the registry lists it.
struct Architecture
{
    std::string name;
    std::string description;
};

/// The zoo in display order, from the one table in zoo.cpp that also holds each builder
/// (architectureNames() and the registry's built-in models read it). Never throws.
const std::vector<Architecture> &architectures();

/// Builds the network `spec` describes for inputs of `inputShape` ({C,H,W}) and `numClasses`
/// outputs, initialised from LibTorch's global generator (seed it first for reproducible
/// weights). Errors name the bad key (e.g. "model.widths" with the wrong count).
/// Architectures: "mlp" (widths = hidden sizes, default [256, 128]); "cnn" (widths = channels
/// of its three conv+BN blocks, default [32, 64, 128]); "resnet-mini" (widths = channels of
/// its three residual stages, default [16, 32, 64]); "vit-tiny" (widths = [dim, depth, heads,
/// patch], default [64, 4, 4, 7]: dim a multiple of heads, patch dividing height and width;
/// stages patch_embed, block1..block<depth>, norm, class_token, head, see vit.h; its blocks
/// record attention through Taps::recordAttention; spec.dropout applies after the embedding
/// and inside every block).
Result<Net> buildNet(const ModelSpec &spec, const std::vector<std::int64_t> &inputShape,
                     std::int64_t numClasses);

} // namespace lathe::model
