// core/robust's implementation of the trainer's adversarial-training seam
// (train::AdversarialTraining): PGD or FGSM examples in pixel space, mixed into each batch.
#pragma once

#include "core/robust/attack.h"
#include "core/robust/install.h"
#include "core/train/adversarial_training.h"

namespace lathe::robust {

/// Makes the adversarial batches of a run with an "adversarial" config section. Batches arrive
/// normalised; they are taken back to pixels (x·std + mean), attacked with epsilon in pixel
/// units and clamped to [0, 1], then normalised again. Random starts draw from a generator of
/// its own, seeded at construction (no global state). Training thread only.
class AdversarialTrainer final : public train::AdversarialTraining
{
public:
    /// InvalidArgument for an unknown attack name or settings the attack refuses.
    static Result<std::shared_ptr<AdversarialTrainer>>
    create(const train::AdversarialConfig &config, const data::Normalization &normalization);

    Result<torch::Tensor> trainingBatch(model::Net &net, const torch::Tensor &x,
                                        const torch::Tensor &y) override;
    Result<std::int64_t> robustCorrect(model::Net &net, const torch::Tensor &x,
                                       const torch::Tensor &y) override;

    const AttackOptions &trainingAttack() const { return m_train; }
    const AttackOptions &evaluationAttack() const { return m_eval; }

private:
    AdversarialTrainer(const train::AdversarialConfig &config, data::Normalization normalization,
                       AttackOptions train, AttackOptions eval);
    torch::Tensor toPixels(const torch::Tensor &x) const;

    train::AdversarialConfig m_config;
    data::Normalization m_normalization;
    AttackOptions m_train, m_eval;
    std::uint64_t m_calls = 0; // seeds each batch's random start differently
};

} // namespace lathe::robust
