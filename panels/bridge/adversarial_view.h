#pragma once

#include "core/train/open_run.h"
#include "core/util/error.h"
#include "panels/bridge/inspect_types.h"

#include <torch/torch.h>

#include <stop_token>

namespace lathe::panels::inspect_jobs {

/// Visualise's adversarial view of one sample: PGD (options.attackSteps steps, random start) at
/// options.epsilon in pixel units against `label`, drawn as a grid of three tiles: the clean
/// image, the adversarial image and the perturbation (adversarial − clean, summed over channels,
/// on the diverging colour map; low/high its range). `target` is the class the model predicts
/// for the adversarial image and `score` its softmax probability. Cancelled when `stop` is
/// requested; the attack's errors. The net must not be used by another thread meanwhile.
Result<InspectRender> adversarialView(train::OpenedRun &model, const torch::Tensor &image,
                                      qint64 label, const InspectOptions &options,
                                      std::stop_token stop);

} // namespace lathe::panels::inspect_jobs
