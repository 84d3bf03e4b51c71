#include "core/train/cross_val_probabilities.h"

#include "core/data/label_issues.h"
#include "core/track/run_groups.h"
#include "core/train/run_job.h"
#include "core/train/trainer.h"
#include "core/util/clock.h"
#include "core/util/torch_error.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

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

/// Trains fold k (0-based) of a K-fold cross-validation: the probabilities of its held-out part.
using FoldTrainer = std::function<Result<torch::Tensor>(std::int64_t k, const torch::Tensor &fold)>;

Result<torch::Tensor> runFolds(const RunConfig &config, const data::Dataset &dataset,
                               std::int64_t folds, const FoldProgress &progress,
                               const FoldTrainer &trainOne)
{
    try {
        const torch::Tensor labels = dataset.labels().to(torch::kLong);
        if (auto ok = data::checkLabelIssueInput(labels, dataset.classNames(), folds); !ok)
            return std::unexpected(ok.error());
        const torch::Tensor fold = stratifiedFolds(labels, folds, config.training.seed);
        torch::Tensor probs
            = torch::zeros({dataset.size(), std::int64_t(dataset.classNames().size())});
        for (std::int64_t k = 0; k < folds; ++k) {
            if (progress)
                progress(k, folds);
            auto part = trainOne(k, fold);
            if (!part)
                return std::unexpected(part.error());
            probs.index_copy_(0, torch::nonzero(fold == k).reshape(-1), *part);
        }
        return probs;
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, "cross-validation failed: " + util::describe(e),
                    dataset.description());
    }
}

/// "fashion-cnn-5fold-20261204T051500": the name, K and the local time to the second.
std::string groupName(const std::string &name, std::int64_t folds)
{
    std::string stamp = util::isoLocalTime(util::unixNow()).substr(0, 19);
    std::erase_if(stamp, [](char c) { return c == '-' || c == ':'; });
    return fmt::format("{}-{}fold-{}", name, folds, stamp);
}

/// Deletes runs `ids` of `db`, rows and checkpoint folders: what a failed K-fold leaves.
void dropRuns(const std::filesystem::path &db, const std::vector<std::int64_t> &ids)
{
    if (ids.empty())
        return;
    auto store = track::RunStore::open(db);
    if (!store) {
        spdlog::error("cannot delete the unfinished K-fold runs: {}", store.error().toString());
        return;
    }
    for (const std::int64_t id : ids) {
        if (auto ok = (*store)->deleteRun(id); !ok)
            spdlog::error("cannot delete K-fold run {}: {}", id, ok.error().toString());
        std::error_code ignored;
        std::filesystem::remove_all(runDirectory(db, id), ignored);
    }
}

/// What every stored fold shares.
struct StoredFolds
{
    const RunConfig &config;
    std::shared_ptr<const data::Dataset> dataset;
    std::int64_t folds;
    std::filesystem::path db;
    std::string name;
    std::string group;
    std::vector<std::int64_t> runIds{};
};

Result<void> recordFold(const StoredFolds &s, std::int64_t runId, std::int64_t k,
                        std::int64_t trainSamples, std::int64_t heldOut)
{
    auto store = track::RunStore::open(s.db);
    if (!store)
        return std::unexpected(store.error());
    const nlohmann::json payload{{"group", s.group},
                                 {"fold", k + 1},
                                 {"folds", s.folds},
                                 {"train_samples", trainSamples},
                                 {"held_out_samples", heldOut},
                                 {"fold_seed", s.config.training.seed},
                                 {"dataset", s.dataset->description()}};
    return (*store)->addEvent({0, runId, std::string(kFoldEvent), 0, 0, payload.dump()});
}

Result<torch::Tensor> storeFold(StoredFolds &s, const torch::Tensor &fold, std::int64_t k,
                                std::stop_token stop)
{
    const torch::Tensor in = torch::nonzero(fold != k).reshape(-1);
    const torch::Tensor out = torch::nonzero(fold == k).reshape(-1);
    const auto heldOut = subset(s.dataset, out, fmt::format("fold {}", k + 1));
    RunJobOptions options;
    options.db = s.db;
    options.name = fmt::format("{}-fold{}", s.name, k + 1);
    options.tags = {std::string(track::kRepeatTagPrefix) + s.group, std::string(kFoldRunTag)};
    // The held-out fold is the run's test set: its test metrics are the fold's score.
    options.data
        = TrainData{subset(s.dataset, in, fmt::format("folds other than {}", k + 1)), heldOut};
    auto job = RunJob::createNew(s.config, options);
    if (!job)
        return std::unexpected(job.error());
    s.runIds.push_back((*job)->runId());
    auto outcome = (*job)->run(stop);
    if (!outcome)
        return std::unexpected(outcome.error());
    if (stop.stop_requested())
        return fail(ErrorCode::Cancelled, "cross-validation was cancelled");
    if (auto ok = recordFold(s, (*job)->runId(), k, in.size(0), out.size(0)); !ok)
        return std::unexpected(ok.error());
    auto &trainer = (*job)->trainer();
    return predictProbabilities(trainer.net(), trainer.normalization(), *heldOut, stop);
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
    return runFolds(config, *dataset, folds, progress,
                    [&](std::int64_t k, const torch::Tensor &fold) {
                        return trainFold(config, dataset, fold, k, stop);
                    });
}

Result<CrossValidation> crossValidate(const RunConfig &config,
                                      std::shared_ptr<const data::Dataset> dataset,
                                      std::int64_t folds, const FoldRunOptions &runs,
                                      std::stop_token stop, const FoldProgress &progress)
{
    if (runs.db.empty()) {
        auto probs = crossValProbabilities(config, dataset, folds, stop, progress);
        if (!probs)
            return std::unexpected(probs.error());
        return CrossValidation{*probs, {}, {}};
    }
    const std::string name = runs.name.empty() ? config.name : runs.name;
    StoredFolds stored{config, dataset, folds, runs.db, name, groupName(name, folds)};
    auto probs = runFolds(config, *dataset, folds, progress,
                          [&](std::int64_t k, const torch::Tensor &fold) {
                              return storeFold(stored, fold, k, stop);
                          });
    if (!probs) {
        dropRuns(runs.db, stored.runIds);
        return std::unexpected(probs.error());
    }
    return CrossValidation{*probs, stored.group, stored.runIds};
}

} // namespace lathe::train
