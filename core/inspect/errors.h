// Errors: the confusion matrix of a checkpoint on its test set (else its validation split), with
// every sample's prediction so a cell can be opened as a gallery.
#pragma once

#include "core/train/open_run.h"
#include "core/util/error.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <stop_token>
#include <vector>

namespace lathe::inspect {

/// The samples an error report evaluates: the run's test set, or, where the run has none (an
/// image folder, a CSV without test_fraction), its validation split: the data.val_fraction of
/// the training data that training held out, in the same order.
struct EvaluationSet
{
    std::shared_ptr<const data::Dataset> samples;
    std::string split; ///< track::keys::kTestSplit or kValSplit
};

/// `model`'s evaluation set. InvalidArgument, naming the run, when it has neither a test set
/// nor a validation split. Never throws.
Result<EvaluationSet> evaluationSet(const train::OpenedRun &model);

/// One evaluated sample as the model saw it.
struct Prediction
{
    std::int64_t index = 0; ///< into the evaluation set
    std::int64_t label = 0; ///< true class
    std::int64_t predicted = 0;
    float confidence = 0.0F; ///< softmax probability of `predicted`
    float loss = 0.0F;       ///< cross-entropy of the true class
};

/// The confusion matrix and per-class scores over an evaluation set.
struct ErrorReport
{
    std::string split; ///< what was evaluated: track::keys::kTestSplit or kValSplit
    std::vector<std::vector<std::int64_t>> confusion; ///< [true][predicted]
    std::vector<double> precision, recall, f1;        ///< per class (0 when undefined)
    double accuracy = 0.0;
    std::vector<Prediction> predictions; ///< every sample, in test-set order

    /// The samples of cell (label, predicted), highest loss first.
    std::vector<Prediction> cell(std::int64_t label, std::int64_t predicted) const;
};

/// Evaluates `model` on its whole evaluation set (the test set, else the validation split) in
/// batches (LibTorch threads as configured), calling `progress(done, total)` after each batch.
/// Cancelled (ErrorCode::Cancelled) when `stop` is requested. evaluationSet's errors.
Result<ErrorReport> errorReport(train::OpenedRun &model, std::stop_token stop = {},
                                const std::function<void(std::int64_t, std::int64_t)> &progress
                                = {});

} // namespace lathe::inspect
