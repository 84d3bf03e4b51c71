#include "core/train/run_evaluation.h"

#include "core/track/metric_keys.h"
#include "core/train/autocast_scope.h"
#include "core/train/run_metrics.h"
#include "core/util/torch_error.h"

namespace lathe::train {

Result<EvalResult> evaluateRun(OpenedRun &run)
{
    constexpr std::int64_t kBatch = 1000;
    const bool onTest = run.data.test && run.data.test->size() > 0;
    const auto dataset = onTest ? run.data.test : run.data.train;
    const torch::Tensor indices
        = onTest ? torch::arange(dataset->size(), torch::kLong) : run.split.val;
    if (!dataset || indices.numel() == 0)
        return fail(ErrorCode::InvalidArgument, "no test or validation data to evaluate on",
                    "run " + std::to_string(run.run.id));
    const std::string split(onTest ? track::keys::kTestSplit : track::keys::kValSplit);
    auto metrics = setUpMetrics(run.config, *run.data.train);
    if (!metrics)
        return std::unexpected(metrics.error());
    try {
        const torch::Tensor labels = dataset->labels().index({indices}).to(torch::kLong);
        std::int64_t next = 0;
        BatchSource batches = [&]() -> std::optional<std::pair<torch::Tensor, torch::Tensor>> {
            if (next >= indices.numel())
                return std::nullopt;
            const auto end = std::min(next + kBatch, indices.numel());
            const auto rows = indices.slice(0, next, end);
            auto batch
                = std::make_pair(run.prepare(dataset->images(rows)), labels.slice(0, next, end));
            next = end;
            return batch;
        };
        AutocastScope autocast(run.config.training.mixedPrecision, torch::kCPU);
        torch::Tensor logits;
        EvalResult result = evaluate(run.net, batches, std::int64_t(run.classNames.size()),
                                     torch::kCPU, metrics->empty() ? nullptr : &logits);
        if (!metrics->empty()) {
            auto extra
                = computeMetrics(*metrics, {&logits, &labels, &indices, dataset.get(), split});
            if (!extra)
                return std::unexpected(extra.error());
            result.extra = std::move(*extra);
        }
        return result;
    } catch (const std::exception &e) {
        return fail(ErrorCode::Training, "evaluation failed: " + util::describe(e),
                    "run " + std::to_string(run.run.id));
    }
}

} // namespace lathe::train
