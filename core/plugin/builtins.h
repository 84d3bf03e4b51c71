// Lathe's own entries of every extension point, registered exactly like a plugin's.
#pragma once

#include "core/plugin/registry.h"

#include <string>

namespace lathe::plugin {

/// The built-in dataset readers (fashion-mnist, idx, image-folder), models (the zoo), metrics
/// (per-class-accuracy, macro-f1), augmentations (crop, hflip, affine, erase) and schedules
/// (train::LrSchedule's types). Never throws.
Additions builtinAdditions();

/// Reads option `key` of `options` as a number in [lo, hi] (`fallback` when absent).
/// InvalidArgument naming `where` ("metric top-k"), the key and the range otherwise.
Result<double> numberOption(const sdk::Options &options, const std::string &key, double fallback,
                            double lo, double hi, const std::string &where);

/// InvalidArgument naming `where` and the valid keys when `options` has a key not in `valid`.
Result<void> checkOptionKeys(const sdk::Options &options, const std::vector<std::string> &valid,
                             const std::string &where);

} // namespace lathe::plugin
