// HistogramView: state, geometry and hover (painting is in histogram_view_paint.cpp).
#include "panels/histograms/histogram_view.h"

#include "panels/common/plot_axis.h"
#include "panels/histograms/histogram_series.h"

#include <QMouseEvent>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace lathe::panels {

HistogramView::HistogramView(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void HistogramView::setSeries(const HistogramSeries *series)
{
    m_series = series;
    seriesChanged();
}

void HistogramView::seriesChanged()
{
    m_heatmap = QImage();
    update();
}

void HistogramView::setMode(Mode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    update();
}

void HistogramView::setLogColour(bool on)
{
    if (on == m_logColour)
        return;
    m_logColour = on;
    m_heatmap = QImage();
    update();
}

void HistogramView::setEmptyText(const QString &text)
{
    m_emptyText = text;
    update();
}

bool HistogramView::hasData() const
{
    return m_series && !m_series->empty();
}

QRect HistogramView::plotRect() const
{
    const int left = fontMetrics().horizontalAdvance(QStringLiteral("-0.0000")) + 14;
    const int bottom = fontMetrics().height() * 2 + 10;
    return rect().adjusted(left, 10, -16, -bottom);
}

int HistogramView::heatmapRows() const
{
    return std::clamp(plotRect().height() / 2, 32, 256);
}

double HistogramView::valueAt(QPoint pos) const
{
    if (!m_series)
        return 0.0;
    const QRectF area = plotRect();
    const double f = m_mode == Mode::Heatmap
                         ? (area.bottom() - pos.y()) / std::max(area.height(), 1.0)
                         : (pos.x() - area.left()) / std::max(area.width(), 1.0);
    return m_series->lo() + f * (m_series->hi() - m_series->lo());
}

std::vector<std::size_t> HistogramView::ridgeIndices() const
{
    std::vector<std::size_t> indices;
    if (!hasData())
        return indices;
    const std::size_t n = m_series->samples().size();
    const std::size_t count = std::min<std::size_t>(n, kMaxRidges);
    for (std::size_t k = 0; k < count; ++k) {
        // Evenly spread, ending exactly on the newest step.
        const std::size_t index
            = count == 1 ? n - 1 : (n - 1) - (count - 1 - k) * (n - 1) / (count - 1);
        if (indices.empty() || index > indices.back())
            indices.push_back(index);
    }
    return indices;
}

std::vector<double> HistogramView::ridgeBaselines(std::size_t count) const
{
    const QRectF area = plotRect();
    // The oldest ridge's peak may rise to the top of the plot; the newest sits on the bottom.
    const double peak = area.height() * (count > 1 ? 0.3 : 0.9);
    std::vector<double> baselines(count);
    for (std::size_t k = 0; k < count; ++k) {
        const double f = count > 1 ? double(k) / double(count - 1) : 1.0;
        baselines[k] = area.top() + peak + f * (area.height() - peak);
    }
    return baselines;
}

std::optional<std::size_t> HistogramView::sampleAt(QPoint pos) const
{
    const QRect area = plotRect();
    if (!hasData() || !area.contains(pos))
        return std::nullopt;
    if (m_mode == Mode::Heatmap) {
        const std::size_t n = m_series->samples().size();
        const double f = double(pos.x() - area.left()) / std::max(area.width(), 1);
        return std::min(n - 1, std::size_t(std::max(0.0, f * double(n))));
    }
    const auto ridges = ridgeIndices();
    const auto baselines = ridgeBaselines(ridges.size());
    std::size_t k = 0;
    while (k + 1 < baselines.size() && baselines[k] < pos.y())
        ++k;
    return ridges[k];
}

QString HistogramView::readoutAt(QPoint pos) const
{
    const auto index = sampleAt(pos);
    if (!index)
        return {};
    const double value = valueAt(pos);
    const auto bin = m_series->binAt(*index, value);
    if (!bin.inRange) {
        return tr("step %1 · %2 is outside this step's range [%3, %4]")
            .arg(bin.step)
            .arg(formatExact(value), formatExact(bin.lo), formatExact(bin.hi));
    }
    return tr("step %1 · [%2, %3) · count %4")
        .arg(bin.step)
        .arg(formatExact(bin.lo), formatExact(bin.hi))
        .arg(bin.count);
}

void HistogramView::mouseMoveEvent(QMouseEvent *event)
{
    const QString text = readoutAt(event->position().toPoint());
    if (text != m_lastReadout) {
        m_lastReadout = text;
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), text, this);
        Q_EMIT hovered(text);
    }
    QWidget::mouseMoveEvent(event);
}

void HistogramView::leaveEvent(QEvent *event)
{
    if (!m_lastReadout.isEmpty()) {
        m_lastReadout.clear();
        Q_EMIT hovered(QString());
    }
    QWidget::leaveEvent(event);
}

} // namespace lathe::panels
