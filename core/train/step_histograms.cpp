#include "core/train/step_histograms.h"

#include "kernels/histogram/histogram.h"

#include <algorithm>

namespace lathe::train {

StepHistograms::StepHistograms(HistogramConfig config)
    : m_config(config)
{
    m_taps.all = true;
}

bool StepHistograms::due(std::int64_t step) const
{
    return m_config.every > 0 && step % m_config.every == 0;
}

model::Taps *StepHistograms::begin(std::int64_t step)
{
    m_taps.outputs.clear();
    m_event = HistogramEvent{};
    m_event->step = step;
    return &m_taps;
}

void StepHistograms::add(const std::string &name, track::HistogramKind kind,
                         const torch::Tensor &tensor)
{
    if (!tensor.defined() || tensor.numel() == 0)
        return;
    auto counted = kernels::histogram(tensor.detach(), m_config.bins);
    if (!counted || counted->nonFinite == tensor.numel())
        return;
    const auto counts = counted->counts.to(torch::kCPU, torch::kLong).contiguous();
    TensorHistogram histogram{name, kind, counted->min, counted->max, {}, counted->nonFinite};
    histogram.counts.reserve(std::size_t(counts.numel()));
    const auto *data = counts.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < counts.numel(); ++i)
        histogram.counts.push_back(std::uint32_t(data[i]));
    m_event->histograms.push_back(std::move(histogram));
}

void StepHistograms::addActivations(const model::Net &net)
{
    if (!m_event)
        return;
    for (const auto &stage : net->layerNames()) {
        const auto found = m_taps.outputs.find(stage);
        if (found != m_taps.outputs.end())
            add(stage, track::HistogramKind::Activations, found->second);
    }
    m_taps.outputs.clear();
}

void StepHistograms::addGradients(model::Net &net)
{
    if (!m_event)
        return;
    for (const auto &[name, tensor] : net->layerParameters())
        add(name, track::HistogramKind::Gradients, tensor.grad());
}

HistogramEvent StepHistograms::finish(model::Net &net, double wallTime)
{
    if (!m_event)
        return {};
    for (const auto &[name, tensor] : net->layerParameters())
        add(name, track::HistogramKind::Weights, tensor);
    // Weights, then gradients, then activations (the enum's order): the order a run's series
    // are listed in.
    std::stable_sort(m_event->histograms.begin(), m_event->histograms.end(),
                     [](const auto &a, const auto &b) { return a.kind < b.kind; });
    HistogramEvent event = std::move(*m_event);
    event.wallTime = wallTime;
    m_event.reset();
    return event;
}

} // namespace lathe::train
