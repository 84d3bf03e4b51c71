#include "core/robust/adversarial_trainer.h"

#include <algorithm>
#include <cmath>

namespace lathe::robust {

namespace {

/// Eval mode for the attack's passes (running statistics untouched), the old mode after.
class EvalMode
{
public:
    explicit EvalMode(model::Net &net)
        : m_net(net)
        , m_wasTraining(net->is_training())
    {
        m_net->eval();
    }
    ~EvalMode() { m_net->train(m_wasTraining); }
    EvalMode(const EvalMode &) = delete;
    EvalMode &operator=(const EvalMode &) = delete;

private:
    model::Net &m_net;
    bool m_wasTraining;
};

/// The per-channel shape [1,C,1,1] of a normalisation's values on `like`'s device.
torch::Tensor channelValues(const std::vector<double> &values, const torch::Tensor &like)
{
    return torch::tensor(values, torch::kDouble)
        .to(like.options())
        .view({1, std::int64_t(values.size()), 1, 1});
}

} // namespace

Result<std::shared_ptr<AdversarialTrainer>>
AdversarialTrainer::create(const train::AdversarialConfig &config,
                           const data::Normalization &normalization)
{
    auto kind = parseAttackKind(config.attack);
    if (!kind)
        return fail(ErrorCode::InvalidArgument, kind.error().message, "adversarial.attack");
    AttackOptions train;
    train.kind = *kind;
    train.epsilon = config.epsilon;
    train.steps = config.steps;
    train.stepSize = config.stepSize;
    train.randomStart = config.randomStart;
    AttackOptions eval;
    eval.kind = AttackKind::Pgd;
    eval.epsilon = config.epsilon;
    eval.steps = config.evalSteps;
    eval.randomStart = true;
    for (const auto *options : {&train, &eval})
        if (auto ok = checkAttackOptions(*options); !ok)
            return fail(ErrorCode::InvalidArgument, ok.error().message,
                        "adversarial." + ok.error().context);
    return std::shared_ptr<AdversarialTrainer>(
        new AdversarialTrainer(config, normalization, train, eval));
}

AdversarialTrainer::AdversarialTrainer(const train::AdversarialConfig &config,
                                       data::Normalization normalization, AttackOptions train,
                                       AttackOptions eval)
    : m_config(config)
    , m_normalization(std::move(normalization))
    , m_train(train)
    , m_eval(eval)
{
}

torch::Tensor AdversarialTrainer::toPixels(const torch::Tensor &x) const
{
    if (m_normalization.mean.empty())
        return x;
    return x * channelValues(m_normalization.std, x) + channelValues(m_normalization.mean, x);
}

Result<torch::Tensor> AdversarialTrainer::trainingBatch(model::Net &net, const torch::Tensor &x,
                                                        const torch::Tensor &y)
{
    const std::int64_t n = x.size(0);
    const auto k = std::int64_t(std::llround(m_config.mixRatio * double(n)));
    if (k == 0)
        return x;
    try {
        EvalMode evalMode(net);
        // Augmentation (random erasing) may leave the pixel range: the attack starts inside it.
        const auto pixels = toPixels(x.narrow(0, 0, k).to(torch::kFloat)).clamp(0.0, 1.0);
        AttackOptions options = m_train;
        options.seed = m_train.seed + m_calls++;
        auto adversarial
            = attack(classifierOf(net, m_normalization), pixels, y.narrow(0, 0, k), options);
        if (!adversarial)
            return adversarial;
        auto inputs = m_normalization.apply(*adversarial).to(x.dtype());
        if (k == n)
            return inputs;
        return torch::cat({inputs, x.narrow(0, k, n - k)});
    } catch (const std::exception &e) {
        return fail(ErrorCode::Training,
                    std::string("making adversarial examples failed: ") + e.what(), "adversarial");
    }
}

Result<std::int64_t> AdversarialTrainer::robustCorrect(model::Net &net, const torch::Tensor &x,
                                                       const torch::Tensor &y)
{
    try {
        EvalMode evalMode(net);
        const auto classifier = classifierOf(net, m_normalization);
        const auto pixels = toPixels(x.to(torch::kFloat)).clamp(0.0, 1.0);
        auto adversarial = attack(classifier, pixels, y, m_eval);
        if (!adversarial)
            return std::unexpected(adversarial.error());
        torch::NoGradGuard noGrad;
        return classifier(*adversarial).argmax(1).eq(y).sum().item<std::int64_t>();
    } catch (const std::exception &e) {
        return fail(ErrorCode::Training,
                    std::string("the robust accuracy evaluation failed: ") + e.what(),
                    "adversarial");
    }
}

void installAdversarialTraining()
{
    train::setAdversarialTrainingFactory(
        [](const train::AdversarialConfig &config, const data::Normalization &normalization)
            -> Result<std::shared_ptr<train::AdversarialTraining>> {
            auto trainer = AdversarialTrainer::create(config, normalization);
            if (!trainer)
                return std::unexpected(trainer.error());
            return std::shared_ptr<train::AdversarialTraining>(std::move(*trainer));
        });
}

} // namespace lathe::robust
