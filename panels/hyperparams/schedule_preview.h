#pragma once

#include "core/train/run_config.h"

#include <QWidget>

#include <cstdint>
#include <optional>

class QLabel;

namespace lathe::panels {

class PlotWidget;

/// How many optimizer steps a config trains on `trainSamples` samples (the count of its data
/// after data.classes, data.train_limit, data.subset and the validation split, see
/// DatasetCount): steps per epoch = ceil(train samples / (batch size · accumulate)).
struct StepEstimate
{
    std::int64_t trainSamples = 0;
    std::int64_t stepsPerEpoch = 1;
    std::int64_t totalSteps = 1;
};

/// The estimate for `config` (expected validated). Pure; thread-safe.
StepEstimate estimateSteps(const train::RunConfig &config, std::int64_t trainSamples);

/// The learning rate over the whole run as a line plot (LrSchedule::preview, about 400
/// points against the optimizer step) with a caption giving the step arithmetic on the real
/// number of training samples. "plateau" depends on validation loss, so only its base rate is
/// drawn and the caption says so. GUI thread only.
class SchedulePreview : public QWidget
{
    Q_OBJECT

public:
    explicit SchedulePreview(QWidget *parent = nullptr);

    /// Redraws for `config` (a validated config) training on `trainSamples` samples; without a
    /// count yet, says that they are being counted. `counting`: the count is of the config's
    /// previous data while its new data is counted (the caption says so).
    void setConfig(const train::RunConfig &config, std::optional<std::int64_t> trainSamples,
                   bool counting = false);

    PlotWidget *plot() const { return m_plot; }
    /// The caption under the plot (steps per epoch, total steps, notes).
    QString caption() const;

private:
    PlotWidget *m_plot = nullptr;
    QLabel *m_caption = nullptr;
};

} // namespace lathe::panels
