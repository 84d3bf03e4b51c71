#include "core/robust/robustness_evaluation.h"

#include <algorithm>
#include <cmath>

namespace lathe::robust {

namespace {

/// Puts a net in eval mode for its lifetime and restores the mode it had.
class EvalModeGuard
{
public:
    explicit EvalModeGuard(model::Net net)
        : m_net(std::move(net))
        , m_wasTraining(m_net->is_training())
    {
        m_net->eval();
    }
    ~EvalModeGuard() { m_net->train(m_wasTraining); }
    EvalModeGuard(const EvalModeGuard &) = delete;
    EvalModeGuard &operator=(const EvalModeGuard &) = delete;

private:
    model::Net m_net;
    bool m_wasTraining;
};

std::int64_t correctOn(const Classifier &classifier, const torch::Tensor &pixels,
                       const torch::Tensor &labels)
{
    torch::NoGradGuard noGrad;
    return classifier(pixels).argmax(1).eq(labels).sum().item<std::int64_t>();
}

/// The correct count of one batch at each epsilon (0: clean).
Result<std::vector<std::int64_t>>
batchCorrect(const Classifier &classifier, const torch::Tensor &pixels, const torch::Tensor &labels,
             const RobustnessOptions &options, std::uint64_t seed, const std::stop_token &stop)
{
    std::vector<std::int64_t> correct;
    for (const double epsilon : options.epsilons) {
        if (epsilon == 0.0) {
            correct.push_back(correctOn(classifier, pixels, labels));
            continue;
        }
        AttackOptions attackOptions = options.attack;
        attackOptions.epsilon = epsilon;
        attackOptions.seed = seed;
        auto adversarial = attack(classifier, pixels, labels, attackOptions, stop);
        if (!adversarial)
            return std::unexpected(adversarial.error());
        correct.push_back(correctOn(classifier, *adversarial, labels));
    }
    return correct;
}

} // namespace

Result<void> checkRobustnessOptions(const RobustnessOptions &options)
{
    if (options.epsilons.empty())
        return fail(ErrorCode::InvalidArgument, "give at least one epsilon, e.g. 0.05,0.1,0.2",
                    "eps");
    for (const double epsilon : options.epsilons)
        if (!std::isfinite(epsilon) || epsilon < 0.0 || epsilon > 1.0)
            return fail(ErrorCode::InvalidArgument,
                        "epsilon " + std::to_string(epsilon)
                            + " is out of range; expected a number in [0, 1] (pixel units: "
                              "images are in [0, 1])",
                        "eps");
    if (options.limit < 0)
        return fail(ErrorCode::InvalidArgument,
                    "the sample limit must be >= 0 (0 = the whole test set)", "limit");
    if (options.batchSize < 1)
        return fail(ErrorCode::InvalidArgument, "the batch size must be at least 1", "batch_size");
    AttackOptions attackOptions = options.attack;
    attackOptions.epsilon = 0.0;
    return checkAttackOptions(attackOptions);
}

Result<std::vector<RobustPoint>> evaluateRobustness(train::OpenedRun &run,
                                                    const RobustnessOptions &given,
                                                    const RobustnessProgress &progress,
                                                    std::stop_token stop)
{
    if (auto ok = checkRobustnessOptions(given); !ok)
        return std::unexpected(ok.error());
    if (!run.data.test)
        return fail(ErrorCode::InvalidArgument, "the run has no test set to attack",
                    "run " + std::to_string(run.run.id));
    RobustnessOptions options = given;
    std::sort(options.epsilons.begin(), options.epsilons.end());
    const auto &test = *run.data.test;
    const std::int64_t n = options.limit > 0 ? std::min(options.limit, test.size()) : test.size();
    const std::int64_t total = n * std::int64_t(options.epsilons.size());
    try {
        EvalModeGuard evalMode(run.net);
        const Classifier classifier = classifierOf(run.net, run.normalization);
        const torch::Tensor labels = test.labels();
        std::vector<std::int64_t> correct(options.epsilons.size(), 0);
        for (std::int64_t start = 0; start < n; start += options.batchSize) {
            if (stop.stop_requested())
                return fail(ErrorCode::Cancelled, "the robustness evaluation was stopped");
            const auto indices
                = torch::arange(start, std::min(start + options.batchSize, n), torch::kLong);
            const auto pixels = test.images(indices).to(torch::kFloat);
            auto batch = batchCorrect(classifier, pixels, labels.index_select(0, indices), options,
                                      options.attack.seed + std::uint64_t(start), stop);
            if (!batch)
                return std::unexpected(batch.error());
            for (std::size_t e = 0; e < correct.size(); ++e)
                correct[e] += (*batch)[e];
            if (progress)
                progress((start + indices.size(0)) * std::int64_t(correct.size()), total);
        }
        std::vector<RobustPoint> points;
        for (std::size_t e = 0; e < correct.size(); ++e)
            points.push_back({options.epsilons[e],
                              double(correct[e]) / double(std::max<std::int64_t>(n, 1)), correct[e],
                              n});
        return points;
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal,
                    std::string("the robustness evaluation failed: ") + e.what(),
                    "run " + std::to_string(run.run.id));
    }
}

nlohmann::json robustnessJson(const RobustnessOptions &options,
                              const std::vector<RobustPoint> &points)
{
    nlohmann::json out
        = {{"attack", attackName(options.attack.kind)},
           {"steps", options.attack.kind == AttackKind::Fgsm ? 1 : options.attack.steps},
           {"step_size", options.attack.stepSize},
           {"random_start", options.attack.randomStart},
           {"restarts", options.attack.restarts},
           {"samples", points.empty() ? 0 : points.front().samples},
           {"points", nlohmann::json::array()}};
    for (const auto &p : points)
        out["points"].push_back({{"epsilon", p.epsilon},
                                 {"accuracy", p.accuracy},
                                 {"correct", p.correct},
                                 {"samples", p.samples}});
    return out;
}

} // namespace lathe::robust
