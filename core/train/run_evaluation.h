// A stored run's checkpoint evaluated again: what `lathe-cli eval` prints.
#pragma once

#include "core/train/evaluator.h"
#include "core/train/open_run.h"
#include "core/util/error.h"

namespace lathe::train {

/// Evaluates `run`'s network on its test set (on its validation split when it has none), as the
/// trainer's evaluation does: the run's normalisation and mixed precision, on the CPU, batches
/// of 1000, with the config's metrics. InvalidArgument when there is neither; metric errors.
/// Never throws; touches no global state. Not thread-safe for one `run`.
Result<EvalResult> evaluateRun(OpenedRun &run);

} // namespace lathe::train
