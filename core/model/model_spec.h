#pragma once

#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::model {

/// The architectures the zoo can build, in display order (zoo.cpp's table: see architectures()).
const std::vector<std::string> &architectureNames();

/// What network to build, as written in a run config's "model" object:
/// {"arch": "cnn", "widths": [32, 64, 128], "dropout": 0.1}.
/// `widths` means hidden sizes for "mlp", channels per conv block for "cnn", channels per
/// stage for "resnet-mini", and [dim, depth, heads, patch] for "vit-tiny"; empty means the
/// architecture's default. buildNet() checks the count and values per architecture.
struct ModelSpec
{
    std::string arch = "cnn";
    std::vector<std::int64_t> widths;
    double dropout = 0.0;

    bool operator==(const ModelSpec &) const = default;

    /// Parses and validates; errors name the key ("model.arch") and the allowed values.
    /// `archNames` are the valid architectures (the plugin registry passes its live list).
    static Result<ModelSpec> fromJson(const nlohmann::json &json,
                                      const std::vector<std::string> &archNames
                                      = architectureNames());
    nlohmann::json toJson() const;
};

} // namespace lathe::model
