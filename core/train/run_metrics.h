// The config's metrics (through the plugin registry), set up once for a run and computed on
// one split's predictions: by the trainer at every evaluation and by evaluateRun.
#pragma once

#include "core/data/dataset.h"
#include "core/plugin/registry.h"
#include "core/train/run_config.h"
#include "core/util/error.h"

#include <string>
#include <utility>
#include <vector>

namespace lathe::train {

/// The config's metrics in config order: (name, compute).
using RunMetrics = std::vector<std::pair<std::string, plugin::ComputeMetric>>;

/// Sets up config.metrics for a run training on `train`. InvalidArgument with context
/// "metrics[i]" for an unknown metric or options it refuses. Thread-safe.
Result<RunMetrics> setUpMetrics(const RunConfig &config, const data::Dataset &train);

/// Every metric on `input`: ("<metric>/<value>" or "<metric>", value), in config order. The
/// first metric's error, if any. Thread-safe as the metrics are.
Result<std::vector<std::pair<std::string, double>>> computeMetrics(const RunMetrics &metrics,
                                                                   const sdk::MetricInput &input);

} // namespace lathe::train
