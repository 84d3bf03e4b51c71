#include "core/train/cross_val_probabilities.h"

#include "core/data/label_issues.h"
#include "core/train/trainer.h"
#include "core/util/torch_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace lathe::train {

namespace {

constexpr std::int64_t kBatch = 512;

std::shared_ptr<const data::Dataset> subset(std::shared_ptr<const data::Dataset> base,
                                            const torch::Tensor &indices, const std::string &what)
{
    const torch::Tensor labels = base->labels().index_select(0, indices);
    const std::string description = base->description() + " (" + what + ")";
    return std::make_shared<data::SubsetDataset>(base, indices, labels, base->classNames(),
                                                 description);
}

Result<torch::Tensor> trainFold(const RunConfig &config,
                                const std::shared_ptr<const data::Dataset> &dataset,
                                const torch::Tensor &fold, std::int64_t k, std::stop_token stop)
{
    const torch::Tensor in = torch::nonzero(fold != k).reshape(-1);
    const torch::Tensor out = torch::nonzero(fold == k).reshape(-1);
    TrainerOptions options;
    options.evaluateTest = false;
    TrainData data{subset(dataset, in, fmt::format("folds other than {}", k + 1)), nullptr};
    auto trainer = Trainer::create(config, data, options);
    if (!trainer)
        return std::unexpected(trainer.error());
    auto outcome = (*trainer)->run(stop);
    if (!outcome)
        return std::unexpected(outcome.error());
    if (stop.stop_requested())
        return fail(ErrorCode::Cancelled, "cross-validation was cancelled");
    const auto heldOut = subset(dataset, out, fmt::format("fold {}", k + 1));
    return predictProbabilities((*trainer)->net(), (*trainer)->normalization(), *heldOut, stop);
}

} // namespace

torch::Tensor stratifiedFolds(const torch::Tensor &labels, std::int64_t folds, std::uint64_t seed)
{
    const torch::Tensor l = labels.to(torch::kLong).contiguous();
    const auto *label = l.data_ptr<std::int64_t>();
    const std::int64_t n = l.size(0);
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        order[std::size_t(i)] = i;
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::int64_t a, std::int64_t b) { return label[a] < label[b]; });
    torch::Tensor fold = torch::empty({n}, torch::kLong);
    auto *f = fold.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i)
        f[order[std::size_t(i)]] = i % folds; // each class's run is dealt round-robin
    return fold;
}

Result<torch::Tensor> predictProbabilities(model::Net &net,
                                           const data::Normalization &normalization,
                                           const data::Dataset &dataset, std::stop_token stop)
{
    try {
        const bool wasTraining = net->is_training();
        net->eval();
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> parts;
        for (std::int64_t start = 0; start < dataset.size(); start += kBatch) {
            if (stop.stop_requested())
                return fail(ErrorCode::Cancelled, "predicting was cancelled");
            const std::int64_t n = std::min(kBatch, dataset.size() - start);
            const torch::Tensor x = dataset.images(torch::arange(start, start + n, torch::kLong));
            parts.push_back(torch::softmax(net->forward(normalization.apply(x)), 1)
                                .to(torch::kCPU, torch::kFloat));
        }
        net->train(wasTraining);
        if (parts.empty())
            return torch::empty({0, std::int64_t(dataset.classNames().size())});
        return torch::cat(parts);
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, "cannot predict: " + util::describe(e),
                    dataset.description());
    }
}

Result<torch::Tensor> crossValProbabilities(const RunConfig &config,
                                            std::shared_ptr<const data::Dataset> dataset,
                                            std::int64_t folds, std::stop_token stop,
                                            const FoldProgress &progress)
{
    try {
        const torch::Tensor labels = dataset->labels().to(torch::kLong);
        if (auto ok = data::checkLabelIssueInput(labels, dataset->classNames(), folds); !ok)
            return std::unexpected(ok.error());
        const torch::Tensor fold = stratifiedFolds(labels, folds, config.training.seed);
        torch::Tensor probs
            = torch::zeros({dataset->size(), std::int64_t(dataset->classNames().size())});
        for (std::int64_t k = 0; k < folds; ++k) {
            if (progress)
                progress(k, folds);
            auto part = trainFold(config, dataset, fold, k, stop);
            if (!part)
                return std::unexpected(part.error());
            probs.index_copy_(0, torch::nonzero(fold == k).reshape(-1), *part);
        }
        return probs;
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, "cross-validation failed: " + util::describe(e),
                    dataset->description());
    }
}

} // namespace lathe::train
