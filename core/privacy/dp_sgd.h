// DP-SGD (Abadi et al. 2016) as the trainer's PrivateTraining (core/train/private_training.h):
// Poisson-sampled batches, per-example gradients clipped to max_grad_norm, Gaussian noise of
// noise_multiplier * max_grad_norm on their sum, divided by the expected batch size; the RDP
// accountant (rdp_accountant.h) says what the steps spent.
#pragma once

#include "core/privacy/install.h"
#include "core/privacy/per_sample_gradients.h"
#include "core/train/private_training.h"
#include "core/train/run_config.h"

#include <optional>
#include <vector>

namespace lathe::privacy {

/// What a run's privacy section resolves to for its training split (resolvePrivacy()).
struct DpSgdSettings
{
    double sampleRate = 0.0; ///< q = training.batch_size / N
    double expectedBatch = 0.0;
    double noiseMultiplier = 0.0; ///< given, or solved from target_epsilon
    double maxGradNorm = 1.0;
    double delta = 0.0;
    std::int64_t physicalBatchSize = 0; ///< 0: each batch in one pass
    std::vector<double> orders;
};

/// 1/N rounded down to a power of ten (privacy.delta's default): 1e-5 for 60,000 examples.
double defaultDelta(std::int64_t trainSamples);

/// The settings of `config`'s privacy section for `trainSamples` examples and `totalSteps`
/// steps. InvalidArgument naming the key for a batch larger than the split, or a target epsilon
/// no noise up to 1,000 reaches.
Result<DpSgdSettings> resolvePrivacy(const train::RunConfig &config, std::int64_t trainSamples,
                                     std::int64_t totalSteps);

class DpSgd : public train::PrivateTraining
{
public:
    explicit DpSgd(DpSgdSettings settings);

    Result<void> attach(model::Net &net) override;
    std::vector<std::vector<std::int64_t>> sampleEpoch(const std::vector<std::int64_t> &train,
                                                       std::uint64_t seed, std::int64_t epoch,
                                                       std::int64_t steps) const override;
    std::int64_t physicalBatchSize() const override { return m_settings.physicalBatchSize; }
    Result<train::PrivatePass> accumulate(model::Net &net, const torch::Tensor &x,
                                          const torch::Tensor &y, double smoothing) override;
    Result<void> finishStep(model::Net &net) override;
    train::PrivacyReport report(std::int64_t steps) const override;

    const DpSgdSettings &settings() const { return m_settings; }

private:
    DpSgdSettings m_settings;
    std::vector<double> m_stepRdp; ///< one step's RDP per order
    std::optional<PerSampleGradients> m_grads;
    std::vector<torch::Tensor> m_sum; ///< the step's clipped gradients, summed
};

} // namespace lathe::privacy
