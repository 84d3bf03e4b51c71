#include "core/inspect/errors.h"

#include "core/data/dataset.h"
#include "core/track/metric_keys.h"
#include "core/train/autocast_scope.h"
#include "core/train/evaluator.h"
#include "core/util/torch_error.h"

#include <algorithm>

namespace lathe::inspect {

namespace {

// Small batches keep each layer's activations in cache: 100 ran ~2x faster than 500 on the
// default CNN (bench_inspect).
constexpr std::int64_t kBatch = 100;

// Whether the net's convolutions hold channels-last weights (as the trainer leaves them on the
// CPU): feeding them channels-last inputs avoids a layout conversion per layer.
bool prefersChannelsLast(model::Net &net)
{
    for (const auto &p : net->parameters())
        if (p.dim() == 4)
            return p.is_contiguous(at::MemoryFormat::ChannelsLast) && !p.is_contiguous();
    return false;
}

// Appends the per-sample predictions of one batch, starting at index `first` of the set.
void addPredictions(std::vector<Prediction> &out, std::int64_t first, const torch::Tensor &logits,
                    const torch::Tensor &labels)
{
    const auto logProb = torch::log_softmax(logits.to(torch::kFloat), 1);
    const auto [best, predicted] = logProb.max(1);
    const auto trueLogProb = logProb.gather(1, labels.unsqueeze(1)).squeeze(1);
    const auto conf = best.exp().contiguous();
    const auto pred = predicted.contiguous();
    const auto loss = trueLogProb.neg().contiguous();
    const auto lab = labels.contiguous();
    for (std::int64_t i = 0; i < logits.size(0); ++i)
        out.push_back({first + i, lab.data_ptr<std::int64_t>()[i], pred.data_ptr<std::int64_t>()[i],
                       conf.data_ptr<float>()[i], loss.data_ptr<float>()[i]});
}

} // namespace

std::vector<Prediction> ErrorReport::cell(std::int64_t label, std::int64_t predicted) const
{
    std::vector<Prediction> samples;
    std::copy_if(predictions.begin(), predictions.end(), std::back_inserter(samples),
                 [&](const Prediction &p) { return p.label == label && p.predicted == predicted; });
    std::stable_sort(samples.begin(), samples.end(),
                     [](const Prediction &a, const Prediction &b) { return a.loss > b.loss; });
    return samples;
}

Result<EvaluationSet> evaluationSet(const train::OpenedRun &model)
{
    if (model.data.test && model.data.test->size() > 0)
        return EvaluationSet{model.data.test, std::string(track::keys::kTestSplit)};
    const auto &val = model.split.val;
    if (!model.data.train || !val.defined() || val.numel() == 0)
        return fail(ErrorCode::InvalidArgument,
                    "run " + std::to_string(model.run.id)
                        + " has no test set and no validation split (data.val_fraction = 0) to "
                          "evaluate");
    try {
        const auto &train = model.data.train;
        auto samples = std::make_shared<data::SubsetDataset>(
            train, val, train->labels().index_select(0, val), train->classNames(),
            "validation split of " + train->description());
        return EvaluationSet{std::move(samples), std::string(track::keys::kValSplit)};
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput, "cannot read the validation split: " + util::describe(e),
                    "run " + std::to_string(model.run.id));
    }
}

Result<ErrorReport> errorReport(train::OpenedRun &model, std::stop_token stop,
                                const std::function<void(std::int64_t, std::int64_t)> &progress)
{
    auto set = evaluationSet(model);
    if (!set)
        return std::unexpected(set.error());
    const auto &samples = set->samples;
    const std::int64_t total = samples->size();
    const auto numClasses = std::int64_t(model.classNames.size());
    ErrorReport report;
    report.split = set->split;
    report.predictions.reserve(std::size_t(total));
    try {
        torch::NoGradGuard noGrad;
        // The precision the run trained and was tested in, so these predictions are eval's.
        train::AutocastScope autocast(model.config.training.mixedPrecision, torch::kCPU);
        const bool channelsLast = prefersChannelsLast(model.net);
        const auto labels = samples->labels().to(torch::kLong);
        train::EvalAccumulator accumulator(numClasses);
        for (std::int64_t first = 0; first < total; first += kBatch) {
            if (stop.stop_requested())
                return fail(ErrorCode::Cancelled, "error analysis stopped");
            const std::int64_t n = std::min(kBatch, total - first);
            auto x = model.prepare(samples->images(torch::arange(first, first + n)));
            if (channelsLast)
                x = x.contiguous(at::MemoryFormat::ChannelsLast);
            const auto logits = model.net->forward(x);
            const auto y = labels.narrow(0, first, n);
            accumulator.add(logits, y);
            addPredictions(report.predictions, first, logits, y);
            if (progress)
                progress(first + n, total);
        }
        auto result = accumulator.result();
        report.confusion = std::move(result.confusion);
        report.precision = std::move(result.precision);
        report.recall = std::move(result.recall);
        report.f1 = std::move(result.f1);
        report.accuracy = result.accuracy;
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput,
                    "cannot evaluate the " + set->split + " samples: " + util::describe(e),
                    "run " + std::to_string(model.run.id));
    }
    return report;
}

} // namespace lathe::inspect
