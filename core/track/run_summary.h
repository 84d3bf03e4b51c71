#pragma once

#include "core/track/run_timing.h"
#include "core/track/store_types.h"

#include <optional>
#include <string>

namespace lathe::track {

/// One row of the runs table: a run (its configJson left empty: read it with RunStore::run)
/// with the config values and metrics a run list shows, read in one query by
/// RunStore::runSummaries().
struct RunSummary
{
    RunInfo run{};
    std::string
        modelArch{}; ///< an imported model's label ("ResNet (r18.pt)"), else param "model.arch"
    std::string optimizerName{};             ///< param "optimizer.name"; empty when absent
    std::string dataset{};                   ///< param "data.dataset"; empty when absent
    std::string dataPath{};                  ///< param "data.path"; empty when absent
    std::optional<double> lr{};              ///< param "optimizer.lr" when it is a number
    std::optional<double> bestValAccuracy{}; ///< max of "val/accuracy" (NaN ignored)
    std::optional<double> testAccuracy{};    ///< last "test/accuracy"
    std::optional<double> finalTrainLoss{};  ///< last "train/loss"
    IdleTime idle{}; ///< paused or between attempts, from the run's timeline events
};

/// A stored param value read as a number ("0.003" -> 0.003); nullopt for any other text
/// (empty, or with anything after the number). Thread-safe.
std::optional<double> parseNumber(const std::string &text);

} // namespace lathe::track
