// The trainer's sharded evaluation (data parallel over more than one rank): each rank evaluates
// its part of the validation or test set and the ranks add up their sums, so that every rank gets
// (and rank 0 records) what one process evaluating the whole set would. Members of Trainer apart
// from the loop in trainer.cpp.
#include "core/track/metric_keys.h"
#include "core/train/autocast_scope.h"
#include "core/train/trainer.h"

namespace lathe::train {

BatchSource Trainer::evalBatches(data::Loader &loader, std::vector<torch::Tensor> *labels)
{
    loader.startEpoch(0);
    return [this, &loader, labels]() -> std::optional<std::pair<torch::Tensor, torch::Tensor>> {
        auto batch = loader.next();
        if (!batch)
            throw RunFailure{batch.error()};
        if (!*batch)
            return std::nullopt;
        if (labels)
            labels->push_back((*batch)->y);
        return std::make_pair(toDevice((*batch)->x), (*batch)->y);
    };
}

Result<void> Trainer::setUpEvalParts(const torch::Tensor &val, const data::LoaderOptions &options)
{
    if (!m_options.dataParallel || m_options.dataParallel->worldSize() < 2)
        return {};
    const auto part = [&](std::shared_ptr<const data::Dataset> dataset,
                          const torch::Tensor &indices) -> Result<std::unique_ptr<data::Loader>> {
        const auto [first, count] = m_options.dataParallel->evalPart(indices.numel());
        if (count == 0) // fewer samples than ranks: this rank only adds zeros
            return nullptr;
        return data::Loader::create(std::move(dataset), indices.narrow(0, first, count), options);
    };
    auto valPart = part(m_data.train, val);
    if (!valPart)
        return std::unexpected(valPart.error());
    m_valPart = std::move(*valPart);
    if (m_data.test) {
        auto testPart = part(m_data.test, torch::arange(m_data.test->size(), torch::kLong));
        if (!testPart)
            return std::unexpected(testPart.error());
        m_testPart = std::move(*testPart);
    }
    return {};
}

EvalResult Trainer::evaluateParts(const std::string &split)
{
    DataParallel &group = *m_options.dataParallel;
    const bool val = split == track::keys::kValSplit;
    data::Loader *loader = val ? m_valPart.get() : m_testPart.get();
    const std::int64_t total = val ? m_valIndices.numel() : m_data.test->size();
    const bool withMetrics = !m_metrics.empty();
    std::vector<torch::Tensor> labels;
    const BatchSource next = loader ? evalBatches(*loader, withMetrics ? &labels : nullptr)
                                    : BatchSource([] { return std::nullopt; });
    torch::Tensor logits;
    EvalAccumulator sums = [&] {
        AutocastScope autocast(m_config.training.mixedPrecision, m_device);
        return accumulate(m_net, next, m_numClasses, m_device, withMetrics ? &logits : nullptr);
    }();
    torch::Tensor totals = sums.totals();
    if (auto ok = group.sumOverRanks(totals); !ok)
        throw RunFailure{ok.error()};
    sums.setTotals(totals);
    EvalResult result = sums.result();
    if (!withMetrics || total == 0)
        return result;
    // The metrics need every sample's logits, in the set's order: each rank writes its rows at
    // its part's place in zeros and the ranks sum (adding zeros is exact).
    const auto [first, count] = group.evalPart(total);
    auto allLogits = torch::zeros({total, m_numClasses}, torch::kFloat);
    auto allLabels = torch::zeros({total}, torch::kLong);
    if (count > 0) {
        allLogits.narrow(0, first, count).copy_(logits);
        allLabels.narrow(0, first, count).copy_(torch::cat(labels).to(torch::kLong));
    }
    if (auto ok = group.sumOverRanks(allLogits); !ok)
        throw RunFailure{ok.error()};
    if (auto ok = group.sumOverRanks(allLabels); !ok)
        throw RunFailure{ok.error()};
    result.extra = computeMetrics(allLogits, allLabels, split);
    return result;
}

} // namespace lathe::train
