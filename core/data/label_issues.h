#pragma once

#include "core/util/error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace at {
class Tensor; // declared only: the report types stay free of LibTorch (the Quality tab's view)
}

namespace lathe::data {

/// A sample whose given label confident learning doubts.
struct LabelIssue
{
    std::int64_t index = 0;      ///< in the dataset the probabilities are of
    std::int64_t given = 0;      ///< the label the dataset gives it
    std::int64_t suggested = 0;  ///< the class the model believes (argmax, never `given`)
    double selfConfidence = 0.0; ///< the predicted probability of `given`: low = suspect
    double suggestedProb = 0.0;  ///< the predicted probability of `suggested`
};

/// What findLabelIssues found (Northcutt, Jiang & Chuang, "Confident learning", JAIR 2021).
struct LabelIssueReport
{
    /// t_j: the mean predicted probability of class j over the samples labelled j.
    std::vector<double> thresholds;
    /// C[i][j]: samples labelled i whose confident class is j (p_j >= t_j, the largest such).
    std::vector<std::vector<std::int64_t>> confidentJoint;
    /// The suspected issues, most suspect (lowest self-confidence) first.
    std::vector<LabelIssue> issues;
    std::int64_t samples = 0;
};

/// Checks labels for confident learning with `folds`-fold cross-validation (folds 0: the
/// probabilities come from a held-out model, no folds): BadInput for fewer than two classes,
/// a class without samples (named), or fewer samples of a class than folds; InvalidArgument
/// for folds of 1 or below 0. Thread-safe.
Result<void> checkLabelIssueInput(const at::Tensor &labels,
                                  const std::vector<std::string> &classNames, std::int64_t folds);

/// Confident learning on out-of-sample predicted probabilities `probs` (float [N,K], rows sum
/// to 1) for `labels` (int64 [N] in [0, K)): per-class thresholds, the confident joint
/// calibrated to the label counts, and pruning by noise rate (for each off-diagonal entry
/// (i, j), the round(C[i][j]) samples labelled i with the largest margin p_j - p_i); samples
/// the model predicts as labelled are never flagged. InvalidArgument for mismatched shapes.
/// Never throws; thread-safe.
Result<LabelIssueReport> findLabelIssues(const at::Tensor &probs, const at::Tensor &labels);

} // namespace lathe::data
