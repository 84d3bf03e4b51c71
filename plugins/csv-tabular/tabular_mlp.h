// The tabular-mlp model: a multilayer perceptron for samples of F features ([F,1,1]).
#pragma once

#include "lathe/plugin.h"

#include <cstdint>
#include <vector>

namespace lathe::csv {

/// The hidden widths tabular-mlp uses when model.widths is empty.
inline const std::vector<std::int64_t> kTabularMlpWidths{64, 32};

/// Builds tabular-mlp's stages for `args`: "flatten", then per hidden width i (1-based)
/// "fc<i>" (Linear), "relu<i>" and, when args.dropout > 0, "dropout<i>", then "head" (Linear to
/// args.numClasses). Throws std::runtime_error naming model.widths for a width < 1, and naming
/// the input shape or class count when they are not positive.
std::vector<sdk::ModelStage> buildTabularMlp(const sdk::ModelArgs &args);

} // namespace lathe::csv
