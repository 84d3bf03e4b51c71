// HistogramView: painting (state, geometry and hover are in histogram_view.cpp).
#include "panels/histograms/histogram_view.h"
#include "panels/common/run_colour.h"

#include "panels/common/plot_axis.h"
#include "panels/histograms/histogram_series.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace lathe::panels {

namespace {

} // namespace

void HistogramView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    if (!hasData()) {
        paintEmpty(painter);
        return;
    }
    painter.fillRect(plotRect(), palette().base());
    if (m_mode == Mode::Heatmap)
        paintHeatmap(painter);
    else
        paintRidgeline(painter);
    painter.setPen(palette().mid().color());
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(plotRect().adjusted(0, 0, -1, -1));
}

void HistogramView::paintEmpty(QPainter &painter)
{
    const QRect area = rect().adjusted(2, 2, -2, -2);
    painter.fillRect(area, palette().base());
    painter.setPen(palette().placeholderText().color());
    painter.drawText(area.adjusted(24, 24, -24, -24), Qt::AlignCenter | Qt::TextWordWrap,
                     m_emptyText);
}

void HistogramView::paintHeatmap(QPainter &painter)
{
    const int rows = heatmapRows();
    if (m_heatmap.isNull() || m_heatmap.height() != rows)
        m_heatmap = m_series->heatmap(rows, m_logColour);
    // Cells stay crisp: nearest-neighbour scaling.
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(QRectF(plotRect()), m_heatmap);
    paintValueAxis(painter, true);
    paintStepAxis(painter);
}

void HistogramView::paintRidgeline(QPainter &painter)
{
    const QRectF area = plotRect();
    const auto ridges = ridgeIndices();
    const auto baselines = ridgeBaselines(ridges.size());
    const double peak = area.height() * (ridges.size() > 1 ? 0.3 : 0.9);
    const int cells = std::clamp(int(area.width() / 3), 16, 240);
    const double cellWidth = area.width() / cells;
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.save();
    painter.setClipRect(area);
    for (std::size_t k = 0; k < ridges.size(); ++k) {
        const auto density = m_series->rebinned(ridges[k], cells);
        const double top = std::max(*std::max_element(density.begin(), density.end()), 1e-12);
        QPainterPath path;
        path.moveTo(area.left(), baselines[k]);
        for (int c = 0; c < cells; ++c) {
            const double y = baselines[k] - density[std::size_t(c)] / top * peak;
            path.lineTo(area.left() + (c + 0.5) * cellWidth, y);
        }
        path.lineTo(area.right(), baselines[k]);
        path.closeSubpath();
        // Older ridges are dark, the newest bright; each hides what lies behind it.
        const double age = ridges.size() > 1 ? double(k) / double(ridges.size() - 1) : 1.0;
        const QColor colour = HistogramSeries::rampColour(0.05 + 0.8 * age);
        painter.setBrush(palette().base());
        painter.setPen(Qt::NoPen);
        painter.drawPath(path);
        painter.setBrush(faded(colour, 110));
        painter.setPen(QPen(colour, 1.3));
        painter.drawPath(path);
    }
    painter.restore();
    painter.setRenderHint(QPainter::Antialiasing, false);
    paintValueAxis(painter, false);
    // Step labels at a few baselines, oldest at the top.
    painter.setPen(palette().windowText().color());
    const int lineHeight = fontMetrics().height();
    double lastY = -1e9;
    for (std::size_t k = ridges.size(); k-- > 0;) {
        if (lastY - baselines[k] < lineHeight * 1.2 && k + 1 != ridges.size())
            continue;
        lastY = baselines[k];
        const QRectF label(0, baselines[k] - lineHeight, area.left() - 6, lineHeight);
        painter.drawText(label, Qt::AlignRight | Qt::AlignBottom,
                         QString::number(m_series->samples()[ridges[k]].step));
    }
    painter.drawText(QRectF(0, area.top(), area.left() - 6, lineHeight),
                     Qt::AlignRight | Qt::AlignTop, tr("step"));
}

void HistogramView::paintValueAxis(QPainter &painter, bool vertical)
{
    const QRectF area = plotRect();
    const double lo = m_series->lo(), hi = m_series->hi();
    const double length = vertical ? area.height() : area.width();
    const auto ticks = niceTicks(lo, hi, std::max(2, int(length / (vertical ? 40 : 90))));
    const double spacing = ticks.size() > 1 ? ticks[1] - ticks[0] : 0.0;
    const int lineHeight = fontMetrics().height();
    for (double t : ticks) {
        const double f = (t - lo) / (hi - lo);
        painter.setPen(faded(palette().text().color(), 40));
        if (vertical) {
            const double y = area.bottom() - f * area.height();
            painter.drawLine(QPointF(area.left() - 4, y), QPointF(area.left(), y));
            painter.setPen(palette().windowText().color());
            painter.drawText(QRectF(0, y - lineHeight / 2.0, area.left() - 6, lineHeight),
                             Qt::AlignRight | Qt::AlignVCenter, formatTick(t, spacing));
        } else {
            const double x = area.left() + f * area.width();
            painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom() + 4));
            painter.setPen(palette().windowText().color());
            painter.drawText(QRectF(x - 50, area.bottom() + 5, 100, lineHeight),
                             Qt::AlignHCenter | Qt::AlignTop, formatTick(t, spacing));
        }
    }
    if (!vertical) {
        painter.drawText(
            QRectF(area.left(), area.bottom() + 5 + lineHeight, area.width(), lineHeight),
            Qt::AlignHCenter | Qt::AlignTop, tr("value"));
    }
}

void HistogramView::paintStepAxis(QPainter &painter)
{
    const QRectF area = plotRect();
    const auto &samples = m_series->samples();
    const double columnWidth = area.width() / double(samples.size());
    const int lineHeight = fontMetrics().height();
    const int labelWidth
        = fontMetrics().horizontalAdvance(QString::number(samples.back().step)) + 24;
    // Label every k-th column (counted back from the newest) at its centre, k such that the
    // labels do not touch.
    const auto every = std::size_t(std::ceil(labelWidth / std::max(columnWidth, 1.0)));
    for (std::size_t i = samples.size(); i-- > 0;) {
        if ((samples.size() - 1 - i) % every != 0)
            continue;
        const double x = area.left() + (double(i) + 0.5) * columnWidth;
        painter.setPen(faded(palette().text().color(), 40));
        painter.drawLine(QPointF(x, area.bottom()), QPointF(x, area.bottom() + 4));
        painter.setPen(palette().windowText().color());
        painter.drawText(QRectF(x - labelWidth / 2.0, area.bottom() + 5, labelWidth, lineHeight),
                         Qt::AlignHCenter | Qt::AlignTop, QString::number(samples[i].step));
    }
    painter.drawText(QRectF(area.left(), area.bottom() + 5 + lineHeight, area.width(), lineHeight),
                     Qt::AlignHCenter | Qt::AlignTop, tr("step"));
}

} // namespace lathe::panels
