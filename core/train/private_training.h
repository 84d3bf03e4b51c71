#pragma once

#include "core/model/net.h"
#include "core/train/run_config.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace lathe::train {

/// What one forward pass of a private step saw (PrivateTraining::accumulate → Trainer).
struct PrivatePass
{
    torch::Tensor logits; ///< detached
    double lossSum = 0.0; ///< the pass's per-example losses, summed
};

/// What a private run has spent after some steps, and what it was spent with.
struct PrivacyReport
{
    double epsilon = 0.0;
    double delta = 0.0;
    double order = 0.0; ///< the RDP order that gave epsilon
    double noiseMultiplier = 0.0;
    double maxGradNorm = 0.0;
    double sampleRate = 0.0; ///< q: each example's probability of being in a batch
    std::int64_t steps = 0;
};

/// Differentially private training (DP-SGD) as the trainer sees it: privacy.enabled in the run
/// config (core/privacy implements it; it sits above train, as core/dist does for
/// data_parallel.h). The trainer samples each step's examples with sampleEpoch(), runs them
/// through accumulate() in passes of at most physicalBatchSize(), then finishStep() writes the
/// noised mean of the clipped per-example gradients into .grad and the optimizer steps as usual.
/// Called on the training thread only.
class PrivateTraining
{
public:
    virtual ~PrivateTraining() = default;

    /// Checks that every trainable parameter of `net` has per-example gradients (a layer that
    /// mixes examples, batch norm, is refused, naming it); called once the model is built and
    /// again when the trainable set changes (unfreezing).
    virtual Result<void> attach(model::Net &net) = 0;
    /// The batches of epoch `epoch` (0-based): `steps` Poisson samples of `train`, each example
    /// in each batch independently with the sampling rate, seeded by (seed, epoch) so that a
    /// resumed epoch draws the same batches.
    virtual std::vector<std::vector<std::int64_t>>
    sampleEpoch(const std::vector<std::int64_t> &train, std::uint64_t seed, std::int64_t epoch,
                std::int64_t steps) const = 0;
    /// Examples per forward pass (a larger batch is run in passes of this size).
    virtual std::int64_t physicalBatchSize() const = 0;
    /// One pass: the per-example gradients of the cross-entropy of net(x) against y (label
    /// smoothing `smoothing`), each clipped, summed into the step's total; .grad is untouched.
    virtual Result<PrivatePass> accumulate(model::Net &net, const torch::Tensor &x,
                                           const torch::Tensor &y, double smoothing)
        = 0;
    /// Ends the step: Gaussian noise added to the clipped total, divided by the expected batch
    /// size, written into each trainable parameter's .grad; the total is reset.
    virtual Result<void> finishStep(model::Net &net) = 0;
    /// (epsilon, delta) after `steps` steps of this run.
    virtual PrivacyReport report(std::int64_t steps) const = 0;
};

/// Builds the PrivateTraining of `config` (privacy.enabled) for a training split of
/// `trainSamples` examples and a run of `totalSteps` steps (what target_epsilon is solved for).
using PrivateTrainingFactory = std::function<Result<std::shared_ptr<PrivateTraining>>(
    const RunConfig &config, std::int64_t trainSamples, std::int64_t totalSteps)>;

/// Installs the factory the trainer uses for privacy.enabled configs (privacy::installDpSgd()
/// does, at the start of lathe-cli, the GUI and the tests that train privately). Not
/// thread-safe: call before any training starts.
void setPrivateTrainingFactory(PrivateTrainingFactory factory);

/// The installed factory's PrivateTraining; Internal error naming the fix when none is.
Result<std::shared_ptr<PrivateTraining>>
makePrivateTraining(const RunConfig &config, std::int64_t trainSamples, std::int64_t totalSteps);

} // namespace lathe::train
