#include "core/privacy/dp_sgd.h"

#include "core/data/rng.h"
#include "core/privacy/rdp_accountant.h"

#include <cmath>
#include <random>

namespace lathe::privacy {

double defaultDelta(std::int64_t trainSamples)
{
    const double n = double(std::max<std::int64_t>(trainSamples, 1));
    return std::pow(10.0, std::floor(std::log10(1.0 / n)));
}

Result<DpSgdSettings> resolvePrivacy(const train::RunConfig &config, std::int64_t trainSamples,
                                     std::int64_t totalSteps)
{
    const auto &p = config.privacy;
    const auto batch = config.training.batchSize;
    if (batch > trainSamples)
        return fail(ErrorCode::InvalidArgument,
                    "the batch (" + std::to_string(batch) + ") is larger than the training split ("
                        + std::to_string(trainSamples)
                        + " examples): DP-SGD samples each example with probability batch_size / "
                          "N, which must be at most 1",
                    "training.batch_size");
    DpSgdSettings s;
    s.sampleRate = double(batch) / double(trainSamples);
    s.expectedBatch = double(batch);
    s.maxGradNorm = p.maxGradNorm;
    s.delta = p.delta > 0 ? p.delta : defaultDelta(trainSamples);
    s.physicalBatchSize = p.physicalBatchSize;
    s.orders = p.orders.empty() ? defaultOrders() : p.orders;
    s.noiseMultiplier = p.noiseMultiplier;
    if (p.targetEpsilon > 0) {
        auto noise = noiseForEpsilon(p.targetEpsilon, s.delta, s.sampleRate, totalSteps, s.orders);
        if (!noise) {
            Error error = noise.error();
            error.context = "privacy.target_epsilon";
            return std::unexpected(error);
        }
        s.noiseMultiplier = *noise;
    }
    return s;
}

DpSgd::DpSgd(DpSgdSettings settings)
    : m_settings(std::move(settings))
{
    for (double order : m_settings.orders)
        m_stepRdp.push_back(
            sampledGaussianRdp(m_settings.sampleRate, m_settings.noiseMultiplier, order));
}

Result<void> DpSgd::attach(model::Net &net)
{
    auto grads = PerSampleGradients::create(net);
    if (!grads)
        return std::unexpected(grads.error());
    m_grads = std::move(*grads);
    m_sum.clear();
    return {};
}

std::vector<std::vector<std::int64_t>> DpSgd::sampleEpoch(const std::vector<std::int64_t> &train,
                                                          std::uint64_t seed, std::int64_t epoch,
                                                          std::int64_t steps) const
{
    // SplitMix64(x).next() is SplitMix64's finaliser of x: a well-mixed seed from (seed, epoch).
    std::mt19937_64 rng(
        data::SplitMix64(seed ^ data::SplitMix64(std::uint64_t(epoch)).next()).next());
    // Gaps between sampled examples are geometric: each example is in with probability q.
    std::geometric_distribution<std::int64_t> gap(std::min(m_settings.sampleRate, 1.0));
    std::vector<std::vector<std::int64_t>> batches(std::size_t(std::max<std::int64_t>(steps, 0)));
    const auto n = std::int64_t(train.size());
    for (auto &batch : batches) {
        batch.reserve(std::size_t(m_settings.expectedBatch * 1.2) + 16);
        for (std::int64_t i = gap(rng); i < n; i += 1 + gap(rng))
            batch.push_back(train[std::size_t(i)]);
    }
    return batches;
}

Result<train::PrivatePass> DpSgd::accumulate(model::Net &net, const torch::Tensor &x,
                                             const torch::Tensor &y, double smoothing)
{
    if (!m_grads)
        return fail(ErrorCode::Internal, "DP-SGD was not attached to the model", "privacy");
    train::PrivatePass pass;
    auto grads = m_grads->compute(net, x, y, smoothing, pass.logits, pass.lossSum);
    if (!grads)
        return std::unexpected(grads.error());
    torch::NoGradGuard noGrad;
    const auto b = x.size(0);
    auto squared = torch::zeros({b}, x.options().dtype(grads->front().dtype()));
    for (const auto &g : *grads) // a norm per example, without a squared copy of g
        squared += torch::linalg_vector_norm(g.reshape({b, -1}), 2, {1}).square();
    // min(1, C / norm): examples within the bound are kept as they are.
    const auto factor = (m_settings.maxGradNorm / (squared.sqrt() + 1e-6)).clamp_max(1.0);
    if (m_sum.empty())
        for (const auto &p : m_grads->parameters())
            m_sum.push_back(torch::zeros_like(p));
    for (std::size_t i = 0; i < grads->size(); ++i) {
        const auto &g = (*grads)[i];
        m_sum[i] += torch::matmul(factor.to(g.dtype()), g.reshape({b, -1})).view_as(m_sum[i]);
    }
    return pass;
}

Result<void> DpSgd::finishStep(model::Net & /*net*/)
{
    if (!m_grads)
        return fail(ErrorCode::Internal, "DP-SGD was not attached to the model", "privacy");
    torch::NoGradGuard noGrad;
    const double std = m_settings.noiseMultiplier * m_settings.maxGradNorm;
    const auto &params = m_grads->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        auto p = params[i];
        auto total = m_sum.empty() ? torch::zeros_like(p) : m_sum[i];
        auto grad = (total + torch::randn_like(p) * std) / m_settings.expectedBatch;
        p.mutable_grad() = grad;
    }
    m_sum.clear();
    return {};
}

train::PrivacyReport DpSgd::report(std::int64_t steps) const
{
    train::PrivacyReport r;
    r.delta = m_settings.delta;
    r.noiseMultiplier = m_settings.noiseMultiplier;
    r.maxGradNorm = m_settings.maxGradNorm;
    r.sampleRate = m_settings.sampleRate;
    r.steps = steps;
    std::vector<double> rdp;
    for (double v : m_stepRdp)
        rdp.push_back(v * double(steps));
    if (auto spent = epsilonFromRdp(m_settings.orders, rdp, m_settings.delta)) {
        r.epsilon = spent->epsilon;
        r.order = spent->order;
    } else {
        r.epsilon = std::nan("");
    }
    return r;
}

void installDpSgd()
{
    train::setPrivateTrainingFactory(
        [](const train::RunConfig &config, std::int64_t trainSamples,
           std::int64_t totalSteps) -> Result<std::shared_ptr<train::PrivateTraining>> {
            auto settings = resolvePrivacy(config, trainSamples, totalSteps);
            if (!settings)
                return std::unexpected(settings.error());
            return std::make_shared<DpSgd>(std::move(*settings));
        });
}

} // namespace lathe::privacy
