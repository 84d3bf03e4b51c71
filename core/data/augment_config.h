#pragma once

#include "core/util/extension_use.h"

#include <cstdint>
#include <vector>

namespace lathe::data {

/// Batch-wise training augmentation. Every probability is per sample; 0 turns an op off.
struct AugmentConfig
{
    bool enabled = false;
    std::int64_t cropPadding = 0; ///< random crop after zero-padding each side by this many px
    double hflipProb = 0.0;       ///< probability of a horizontal flip
    double rotateDeg = 0.0;       ///< uniform rotation in [-rotateDeg, rotateDeg] degrees
    double translateFrac = 0.0;   ///< uniform shift in [-t, t] of the image size, each axis
    double eraseProb = 0.0;       ///< probability of random erasing (one rectangle, zeros)
    double eraseMaxArea = 0.25;   ///< erased rectangle covers 2%..eraseMaxArea of the image
    /// Registered augmentations (built-in or from plugins) applied after the ops above, in
    /// order; core/train sets them up through the plugin registry.
    std::vector<ExtensionUse> extra;

    bool operator==(const AugmentConfig &) const = default;
};

} // namespace lathe::data
