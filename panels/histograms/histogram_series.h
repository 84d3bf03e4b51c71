#pragma once

#include "core/track/store_types.h"

#include <QImage>

#include <cstdint>
#include <optional>
#include <vector>

namespace lathe::panels {

/// What one bin of one recorded step holds (a hover read-out).
struct HistogramBinInfo
{
    std::int64_t step = 0;
    double lo = 0.0; ///< the bin's range [lo, hi)
    double hi = 0.0;
    std::uint32_t count = 0;
    bool inRange = true; ///< false: the value is outside the step's [min, max]; count is 0
};

/// The recorded histograms of one tensor series of a run, ascending by step, and the views'
/// derived data: the union of their ranges, each step re-binned onto that union (the heatmap's
/// columns) and hit tests. Not thread-safe (GUI thread; cheap: O(steps x rows)).
class HistogramSeries
{
public:
    /// Appends samples with a step above the last held one (others are ignored, so a poll that
    /// overlaps the previous one is harmless). Returns how many were added.
    std::size_t append(std::vector<track::HistogramSample> samples);
    void clear();

    const std::vector<track::HistogramSample> &samples() const { return m_samples; }
    bool empty() const { return m_samples.empty(); }
    std::int64_t lastStep() const { return m_samples.empty() ? -1 : m_samples.back().step; }
    /// The union of every sample's [min, max]; {0, 1} when empty.
    double lo() const { return m_lo; }
    double hi() const { return m_hi; }

    /// The heatmap: one column per sample (oldest left), `rows` rows over [lo(), hi()] (highest
    /// values at the top), colour = count re-binned by overlap, on a scale from 0 to the
    /// largest cell (log1p of counts when `logColour`). Empty cells are transparent.
    QImage heatmap(int rows, bool logColour) const;

    /// The counts of sample `index` spread over `cells` equal cells of [lo(), hi()].
    std::vector<double> rebinned(std::size_t index, int cells) const;

    /// The bin of sample `index` containing `value`.
    HistogramBinInfo binAt(std::size_t index, double value) const;

    /// The colour of a share in [0, 1] of the heatmap's scale (a dark-to-bright ramp).
    static QColor rampColour(double share);

private:
    std::vector<track::HistogramSample> m_samples;
    double m_lo = 0.0;
    double m_hi = 1.0;
};

} // namespace lathe::panels
