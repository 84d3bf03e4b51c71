#pragma once

#include "core/model/net.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace lathe::train {

/// Classification quality on one split.
struct EvalResult
{
    double loss = 0.0;     ///< mean cross-entropy (no label smoothing)
    double accuracy = 0.0; ///< share of samples whose arg-max is the label
    std::int64_t samples = 0;
    std::vector<std::vector<std::int64_t>> confusion; ///< [true][predicted] counts
    std::vector<double> precision, recall, f1;        ///< per class; 0 where undefined
    /// The config's metrics: ("<metric>/<value>" or "<metric>", value), in config order.
    std::vector<std::pair<std::string, double>> extra;

    /// {"loss", "accuracy", "samples", "confusion", "precision", "recall", "f1"}, and
    /// "metrics" (an object of `extra`) when there are any.
    nlohmann::json toJson() const;
};

/// Accumulates predictions batch by batch and turns them into an EvalResult.
class EvalAccumulator
{
public:
    explicit EvalAccumulator(std::int64_t numClasses);
    /// Adds one batch: logits [B,K] and labels [B]. Both on the CPU or moved there.
    void add(const torch::Tensor &logits, const torch::Tensor &labels);
    EvalResult result() const;
    /// The sums so far as one float64 tensor [2 + K*K]: the loss sum, the sample count and the
    /// confusion counts (exact in double below 2^53), what data-parallel ranks add up.
    torch::Tensor totals() const;
    /// Replaces the sums with `totals` (as totals() returns them, e.g. summed over ranks).
    void setTotals(const torch::Tensor &totals);

private:
    std::int64_t m_numClasses;
    double m_lossSum = 0.0;
    std::int64_t m_samples = 0;
    torch::Tensor m_confusion; // int64 [K,K]
};

/// Supplies evaluation batches: returns the next (x, y) or nullopt at the end.
using BatchSource = std::function<std::optional<std::pair<torch::Tensor, torch::Tensor>>()>;

/// Evaluates `net` in eval mode without gradients over every batch `next` yields, on
/// `device`. Restores the module's training flag afterwards. When `logits` is given it receives
/// every batch's logits, float32 [N, K] on the CPU, in order. Throws what LibTorch throws (the
/// trainer catches at its boundary).
EvalResult evaluate(model::Net &net, const BatchSource &next, std::int64_t numClasses,
                    const torch::Device &device = torch::kCPU, torch::Tensor *logits = nullptr);
/// evaluate()'s pass, its sums not yet turned into an EvalResult (to be combined first).
EvalAccumulator accumulate(model::Net &net, const BatchSource &next, std::int64_t numClasses,
                           const torch::Device &device = torch::kCPU,
                           torch::Tensor *logits = nullptr);

} // namespace lathe::train
