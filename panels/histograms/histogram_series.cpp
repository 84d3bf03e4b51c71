#include "panels/histograms/histogram_series.h"

#include <QColor>

#include <algorithm>
#include <array>
#include <cmath>

namespace lathe::panels {

namespace {

// A perceptually ordered ramp (after matplotlib's "viridis"), dark to bright.
constexpr std::array<std::array<int, 3>, 6> kRamp{
    {{68, 1, 84}, {65, 68, 135}, {42, 120, 142}, {34, 168, 132}, {122, 209, 81}, {253, 231, 37}}};

} // namespace

std::size_t HistogramSeries::append(std::vector<track::HistogramSample> samples)
{
    std::size_t added = 0;
    for (auto &sample : samples) {
        if (sample.step <= lastStep() || sample.counts.empty())
            continue;
        if (m_samples.empty()) {
            m_lo = sample.min;
            m_hi = sample.max;
        } else {
            m_lo = std::min(m_lo, sample.min);
            m_hi = std::max(m_hi, sample.max);
        }
        m_samples.push_back(std::move(sample));
        ++added;
    }
    if (!m_samples.empty() && m_hi <= m_lo)
        m_hi = m_lo + 1.0;
    return added;
}

void HistogramSeries::clear()
{
    m_samples.clear();
    m_lo = 0.0;
    m_hi = 1.0;
}

std::vector<double> HistogramSeries::rebinned(std::size_t index, int cells) const
{
    std::vector<double> out(std::size_t(std::max(cells, 1)), 0.0);
    if (index >= m_samples.size())
        return out;
    const auto &s = m_samples[index];
    const double cellWidth = (m_hi - m_lo) / double(out.size());
    const double binWidth = (s.max - s.min) / double(s.counts.size());
    for (std::size_t j = 0; j < s.counts.size(); ++j) {
        if (s.counts[j] == 0)
            continue;
        const double a = s.min + binWidth * double(j);
        const double b = a + binWidth;
        // Spread the bin's count over the cells it overlaps, in proportion to the overlap.
        const auto first
            = std::size_t(std::clamp((a - m_lo) / cellWidth, 0.0, double(out.size() - 1)));
        const auto last
            = std::size_t(std::clamp((b - m_lo) / cellWidth, 0.0, double(out.size() - 1)));
        if (binWidth <= 0.0 || first == last) {
            out[first] += s.counts[j];
            continue;
        }
        for (std::size_t c = first; c <= last; ++c) {
            const double lo = std::max(a, m_lo + cellWidth * double(c));
            const double hi = std::min(b, m_lo + cellWidth * double(c + 1));
            if (hi > lo)
                out[c] += s.counts[j] * (hi - lo) / binWidth;
        }
    }
    return out;
}

QImage HistogramSeries::heatmap(int rows, bool logColour) const
{
    if (m_samples.empty() || rows < 1)
        return {};
    const int columns = int(m_samples.size());
    std::vector<std::vector<double>> cells(m_samples.size());
    double top = 0.0;
    for (std::size_t i = 0; i < m_samples.size(); ++i) {
        cells[i] = rebinned(i, rows);
        for (double &v : cells[i]) {
            v = logColour ? std::log1p(v) : v;
            top = std::max(top, v);
        }
    }
    QImage image(columns, rows, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    for (int x = 0; x < columns; ++x) {
        for (int r = 0; r < rows; ++r) {
            const double v = cells[std::size_t(x)][std::size_t(r)];
            if (v > 0.0)
                image.setPixelColor(x, rows - 1 - r, rampColour(top > 0.0 ? v / top : 0.0));
        }
    }
    return image;
}

HistogramBinInfo HistogramSeries::binAt(std::size_t index, double value) const
{
    HistogramBinInfo info;
    if (index >= m_samples.size())
        return info;
    const auto &s = m_samples[index];
    info.step = s.step;
    if (value < s.min || value > s.max) {
        info.lo = s.min;
        info.hi = s.max;
        info.inRange = false;
        return info;
    }
    const auto bins = std::int64_t(s.counts.size());
    const double width = (s.max - s.min) / double(bins);
    const auto j
        = width > 0.0 ? std::clamp(std::int64_t((value - s.min) / width), std::int64_t(0), bins - 1)
                      : std::int64_t(0);
    info.lo = s.min + width * double(j);
    info.hi = info.lo + width;
    info.count = s.counts[std::size_t(j)];
    return info;
}

QColor HistogramSeries::rampColour(double share)
{
    const double t = std::clamp(share, 0.0, 1.0) * double(kRamp.size() - 1);
    const auto i = std::min(std::size_t(t), kRamp.size() - 2);
    const double f = t - double(i);
    const auto mix = [&](int c) {
        return int(
            std::lround(kRamp[i][std::size_t(c)] * (1.0 - f) + kRamp[i + 1][std::size_t(c)] * f));
    };
    return QColor(mix(0), mix(1), mix(2));
}

} // namespace lathe::panels
