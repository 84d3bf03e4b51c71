#pragma once

#include "core/data/normalization.h"
#include "core/model/net.h"
#include "core/train/run_config.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace lathe::train {

/// Adversarial training as the trainer sees it (TrainerOptions::adversarial; core/robust
/// implements it, docs/robustness.md). Batches reach it normalised, as the loaders give them,
/// on the net's device; the implementation attacks in pixel space (epsilon in [0, 1] units) and
/// hands back normalised inputs. Called on the training thread only.
class AdversarialTraining
{
public:
    virtual ~AdversarialTraining() = default;

    /// The inputs a training step learns from instead of `x` (labels `y`): the first
    /// adversarial.mix_ratio of the batch replaced by its adversarial examples against `net`.
    /// The examples are made in eval mode (batch norm's running statistics are not moved by the
    /// attack's passes); `net`'s mode is restored. Gradients only with respect to the input: no
    /// parameter's .grad changes.
    virtual Result<torch::Tensor> trainingBatch(model::Net &net, const torch::Tensor &x,
                                                const torch::Tensor &y)
        = 0;

    /// How many of `x` (normalised, labels `y`) `net` still classifies correctly under the
    /// evaluation attack (PGD with adversarial.eval_steps at adversarial.epsilon), eval mode.
    virtual Result<std::int64_t> robustCorrect(model::Net &net, const torch::Tensor &x,
                                               const torch::Tensor &y)
        = 0;
};

/// Makes the AdversarialTraining of a config's adversarial section for inputs normalised by
/// `normalization`. InvalidArgument for settings it cannot use.
using AdversarialTrainingFactory = std::function<Result<std::shared_ptr<AdversarialTraining>>(
    const AdversarialConfig &config, const data::Normalization &normalization)>;

/// Installs the factory the trainer uses for a config with adversarial.enabled when its options
/// bring no AdversarialTraining of their own. core/robust sits above train: the programs call
/// robust::installAdversarialTraining() once at start-up. Thread-safe.
void setAdversarialTrainingFactory(AdversarialTrainingFactory factory);
/// The installed factory (empty when none is). Thread-safe.
AdversarialTrainingFactory adversarialTrainingFactory();

} // namespace lathe::train
