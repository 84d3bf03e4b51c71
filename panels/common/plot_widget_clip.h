// Clipping helpers of PlotWidget's painting (plot_widget_paint.cpp, plot_widget_band.cpp).
#pragma once

#include <QPointF>
#include <QPolygonF>

namespace lathe::panels {

/// Where the segment a-b crosses the vertical line x (a and b on either side of it).
inline QPointF crossAt(const QPointF &a, const QPointF &b, double x)
{
    const double f = (x - a.x()) / (b.x() - a.x());
    return {x, a.y() + f * (b.y() - a.y())};
}

/// Shortens the first and last segments of a polyline to end just outside the plot area, so
/// that far-away neighbours of the view do not make the painter walk huge coordinates.
inline void clampEnds(QPolygonF &line, double left, double right)
{
    if (line.size() >= 2 && line[0].x() < left && line[1].x() > left)
        line[0] = crossAt(line[0], line[1], left);
    const qsizetype n = line.size();
    if (n >= 2 && line[n - 1].x() > right && line[n - 2].x() < right)
        line[n - 1] = crossAt(line[n - 2], line[n - 1], right);
}

} // namespace lathe::panels
