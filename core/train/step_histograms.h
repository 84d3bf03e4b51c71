#pragma once

#include "core/model/net.h"
#include "core/train/run_config.h"
#include "core/train/train_events.h"

#include <cstdint>
#include <optional>

namespace lathe::train {

/// Collects the histograms of one optimizer step for the trainer (histograms.every,
/// histograms.bins): the stage outputs of the step's forward pass (through model::Taps, so no
/// extra forward runs), the gradients before the update and the weights after it, each counted
/// with kernels::histogram over the tensor's own finite range. A tensor the kernel refuses
/// (empty, or no finite element) is left out. Not thread-safe: the training thread only.
class StepHistograms
{
public:
    explicit StepHistograms(HistogramConfig config);

    /// True when optimizer step `step` (1-based) records histograms.
    bool due(std::int64_t step) const;
    /// Starts recording step `step`: returns the taps the step's first forward pass must fill.
    model::Taps *begin(std::int64_t step);
    /// True between begin() and finish().
    bool active() const { return m_event.has_value(); }
    /// Counts the stage outputs the taps hold, in the net's stage order, and releases them.
    void addActivations(const model::Net &net);
    /// Counts the gradient of every parameter that has one (call before the update).
    void addGradients(model::Net &net);
    /// Counts every parameter (call after the update) and hands the step's event over.
    HistogramEvent finish(model::Net &net, double wallTime);

private:
    void add(const std::string &name, track::HistogramKind kind, const torch::Tensor &tensor);

    HistogramConfig m_config;
    model::Taps m_taps;
    std::optional<HistogramEvent> m_event;
};

} // namespace lathe::train
