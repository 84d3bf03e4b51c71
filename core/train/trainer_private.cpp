// The trainer's DP-SGD epoch (privacy.enabled): the members of Trainer that only a private run
// uses, apart from the ordinary loop in trainer.cpp. The maths is core/privacy's, behind
// PrivateTraining (private_training.h).
#include "core/train/trainer.h"

#include "core/util/clock.h"

#include <cmath>

namespace lathe::train {

Result<void> Trainer::setUpPrivacy(const torch::Tensor &train)
{
    if (m_options.dataParallel)
        return fail(ErrorCode::InvalidArgument,
                    "DP-SGD cannot train data parallel yet (its Poisson batches are drawn by one "
                    "process); train it with one process",
                    "privacy.enabled");
    const auto indices = train.to(torch::kLong).contiguous();
    m_trainIndices.assign(indices.data_ptr<std::int64_t>(),
                          indices.data_ptr<std::int64_t>() + indices.numel());
    if (!m_options.privateTraining) {
        auto made
            = makePrivateTraining(m_config, std::int64_t(m_trainIndices.size()), totalSteps());
        if (!made)
            return std::unexpected(made.error());
        m_options.privateTraining = std::move(*made);
    }
    return m_options.privateTraining->attach(m_net);
}

std::optional<PrivacyReport> Trainer::privacyReport() const
{
    if (!m_options.privateTraining)
        return std::nullopt;
    return m_options.privateTraining->report(m_state.step);
}

Result<Trainer::EpochEnd> Trainer::trainPrivateEpoch(std::stop_token stop)
{
    const std::int64_t steps = m_trainLoader->batchesPerEpoch();
    if (m_state.step == 0 && m_state.batchInEpoch == 0) {
        // What the run's privacy resolved to (the noise a target epsilon was solved for).
        const auto planned = m_options.privateTraining->report(totalSteps());
        m_observer->onNote({"privacy", 0,
                            nlohmann::json{{"noise_multiplier", planned.noiseMultiplier},
                                           {"sample_rate", planned.sampleRate},
                                           {"max_grad_norm", planned.maxGradNorm},
                                           {"delta", planned.delta},
                                           {"steps", planned.steps},
                                           {"epsilon_at_end", planned.epsilon}}
                                .dump(),
                            util::unixNow()});
    }
    const auto batches = m_options.privateTraining->sampleEpoch(
        m_trainIndices, m_config.training.seed, m_state.epoch, steps);
    m_epochStats = {};
    unfreezeIfDue();
    m_net->train();
    m_optimizer->zero_grad();
    while (m_state.batchInEpoch < steps) {
        if (const auto end = beginStep(stop))
            return *end;
        auto step = privateStep(batches[std::size_t(m_state.batchInEpoch)]);
        if (!step)
            return std::unexpected(step.error());
        ++m_state.batchInEpoch;
        if (auto ok = optimizerStep(*step, stop); !ok)
            return std::unexpected(ok.error());
    }
    return EpochEnd::Completed;
}

Result<Trainer::StepStats> Trainer::privateStep(const std::vector<std::int64_t> &batch)
{
    auto &dp = *m_options.privateTraining;
    StepStats step;
    if (!batch.empty()) {
        data::LoaderOptions options = m_trainLoaderOptions;
        options.shuffle = false; // the batch is the Poisson sample, in its order
        options.dropLast = false;
        options.prefetch = 0;
        options.batchSize
            = dp.physicalBatchSize() > 0 ? dp.physicalBatchSize() : std::int64_t(batch.size());
        if (m_activeSteer.augmentStrength != 1.0)
            options.augment = scaledAugment(m_config.augment, m_activeSteer.augmentStrength);
        auto loader = data::Loader::create(m_data.train, torch::tensor(batch), options);
        if (!loader)
            return std::unexpected(loader.error());
        (*loader)->startEpoch(m_state.step); // each step its own augmentation seeds
        while (true) {
            auto next = (*loader)->next();
            if (!next)
                return std::unexpected(next.error());
            if (!*next)
                break;
            const auto y = (*next)->y.to(m_device);
            auto pass
                = dp.accumulate(m_net, toDevice((*next)->x), y, m_config.training.labelSmoothing);
            if (!pass)
                return std::unexpected(pass.error());
            if (!std::isfinite(pass->lossSum))
                return std::unexpected(nanError(pass->lossSum));
            step.lossSum += pass->lossSum;
            step.correct += pass->logits.argmax(1).eq(y).sum().item<double>();
            step.samples += y.size(0);
            ++step.microBatches;
        }
    }
    if (auto ok = dp.finishStep(m_net); !ok)
        return std::unexpected(ok.error());
    return step;
}

} // namespace lathe::train
