// PlotWidget: the shaded bands of series that have one (PlotSeries::band).
#include "panels/common/plot_widget.h"

#include "panels/common/plot_widget_clip.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace lathe::panels {

std::pair<std::size_t, std::size_t> PlotWidget::visibleRange(const PlotSeries &series, double t0,
                                                             double t1) const
{
    // Compared in x units: toAxisX of a point left of a log axis is NaN, which no order holds.
    const double lo = fromAxisX(t0), hi = fromAxisX(t1);
    const auto &points = series.points;
    const auto begin = std::lower_bound(points.begin(), points.end(), lo,
                                        [](const auto &p, double x) { return p.x < x; });
    const auto end = std::upper_bound(begin, points.end(), hi,
                                      [](double x, const auto &p) { return x < p.x; });
    return {std::size_t(begin - points.begin()), std::size_t(end - points.begin())};
}

void PlotWidget::fitBands(const View &view, double &lo, double &hi) const
{
    for (const auto &s : m_series) {
        if (s.band.size() != s.points.size())
            continue;
        const auto [begin, end] = visibleRange(s, view.t0, view.t1);
        for (std::size_t i = begin; i < end; ++i) {
            for (const double y : {s.band[i].first, s.band[i].second}) {
                if (drawableY(y, m_logY)) {
                    lo = std::min(lo, y);
                    hi = std::max(hi, y);
                }
            }
        }
    }
}

// The band's outline in widget coordinates, one polygon per stretch of drawable points: the
// highs left to right, then the lows back. A dense band keeps one point per pixel column (its
// lowest low and highest high), so its cost follows the width, not the data.
std::vector<QPolygonF> PlotWidget::bandPolygons(const PlotSeries &series, const View &view) const
{
    auto [begin, end] = visibleRange(series, view.t0, view.t1);
    begin = begin > 0 ? begin - 1 : 0; // the neighbours the band comes from, beyond the edges
    end = std::min(end + 1, series.points.size());
    std::vector<QPolygonF> polygons;
    QPolygonF highs, lows;
    const auto flush = [&] {
        clampEnds(highs, view.rect.left() - 2, view.rect.right() + 2);
        clampEnds(lows, view.rect.left() - 2, view.rect.right() + 2);
        if (highs.size() > 1) {
            std::reverse(lows.begin(), lows.end());
            polygons.push_back(highs + lows);
        }
        highs.clear();
        lows.clear();
    };
    const auto py = [&](double y) { return view.py(m_logY ? std::log10(y) : y); };
    for (std::size_t i = begin; i < end; ++i) {
        const auto [low, high] = series.band[i];
        const double t = toAxisX(series.points[i].x);
        if (!drawableY(high, m_logY) || !std::isfinite(t)) {
            flush();
            continue;
        }
        // A low at or below zero on a log axis (a mean less one sd): the band reaches the bottom.
        const double lowY = drawableY(low, m_logY) ? py(low) : view.rect.bottom() + 2;
        const double x = view.px(t);
        if (!highs.isEmpty() && std::floor(x) == std::floor(highs.back().x())) {
            highs.back().ry() = std::min(highs.back().y(), py(high)); // y grows downwards
            lows.back().ry() = std::max(lows.back().y(), lowY);
            continue;
        }
        highs.append(QPointF(x, py(high)));
        lows.append(QPointF(x, lowY));
    }
    flush();
    return polygons;
}

void PlotWidget::drawBands(QPainter &painter, const View &view)
{
    painter.setPen(Qt::NoPen);
    painter.setRenderHint(QPainter::Antialiasing, false);
    for (const auto &s : m_series) {
        if (s.band.size() != s.points.size() || s.band.empty())
            continue;
        QColor fill = s.color;
        fill.setAlpha(s.dashed ? 35 : 70); // a validation band paler than a training one
        painter.setBrush(fill);
        for (const QPolygonF &polygon : bandPolygons(s, view))
            painter.drawPolygon(polygon);
    }
    painter.setBrush(Qt::NoBrush);
}

} // namespace lathe::panels
