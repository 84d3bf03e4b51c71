// Errors: the confusion matrix of a checkpoint on its test set, with every sample's prediction
// so a cell can be opened as a gallery.
#pragma once

#include "core/train/open_run.h"
#include "core/util/error.h"

#include <cstdint>
#include <functional>
#include <stop_token>
#include <vector>

namespace lathe::inspect {

/// One test sample as the model saw it.
struct Prediction
{
    std::int64_t index = 0; ///< into the test set
    std::int64_t label = 0; ///< true class
    std::int64_t predicted = 0;
    float confidence = 0.0F; ///< softmax probability of `predicted`
    float loss = 0.0F;       ///< cross-entropy of the true class
};

/// The confusion matrix and per-class scores over a test set.
struct ErrorReport
{
    std::vector<std::vector<std::int64_t>> confusion; ///< [true][predicted]
    std::vector<double> precision, recall, f1;        ///< per class (0 when undefined)
    double accuracy = 0.0;
    std::vector<Prediction> predictions; ///< every sample, in test-set order

    /// The samples of cell (label, predicted), highest loss first.
    std::vector<Prediction> cell(std::int64_t label, std::int64_t predicted) const;
};

/// Evaluates `model` on its whole test set in batches (LibTorch threads as configured),
/// calling `progress(done, total)` after each batch. Cancelled (ErrorCode::Cancelled) when
/// `stop` is requested. InvalidArgument when the model has no test set.
Result<ErrorReport> errorReport(train::OpenedRun &model, std::stop_token stop = {},
                                const std::function<void(std::int64_t, std::int64_t)> &progress
                                = {});

} // namespace lathe::inspect
