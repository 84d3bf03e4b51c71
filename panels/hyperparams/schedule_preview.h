#pragma once

#include "core/train/run_config.h"

#include <QWidget>

#include <cstdint>

class QLabel;

namespace lathe::panels {

class PlotWidget;

/// How many optimizer steps a config trains, derived from the config alone (no data loaded):
/// train samples = dataset size (60,000 for fashion-mnist, or data.subset when smaller) minus
/// the validation share; steps per epoch = ceil(train samples / (batch size · accumulate)).
struct StepEstimate
{
    std::int64_t datasetSize = 0;
    std::int64_t trainSamples = 0;
    std::int64_t stepsPerEpoch = 1;
    std::int64_t totalSteps = 1;
};

/// The estimate for `config` (expected validated). Pure; thread-safe.
StepEstimate estimateSteps(const train::RunConfig &config);

/// The learning rate over the whole run as a line plot (LrSchedule::preview, about 400
/// points against the optimizer step) with a caption giving the step arithmetic. "plateau"
/// depends on validation loss, so only its base rate is drawn and the caption says so.
/// GUI thread only.
class SchedulePreview : public QWidget
{
    Q_OBJECT

public:
    explicit SchedulePreview(QWidget *parent = nullptr);

    /// Redraws for `config` (a validated config).
    void setConfig(const train::RunConfig &config);

    PlotWidget *plot() const { return m_plot; }
    /// The caption under the plot (steps per epoch, total steps, notes).
    QString caption() const;

private:
    PlotWidget *m_plot = nullptr;
    QLabel *m_caption = nullptr;
};

} // namespace lathe::panels
