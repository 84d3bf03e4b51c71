#pragma once

#include "core/track/downsample.h"
#include "panels/common/plot_lod.h"

#include <QColor>
#include <QPixmap>
#include <QPoint>
#include <QPolygonF>
#include <QRectF>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace lathe::panels {

/// One line of a plot: points sorted by x (full resolution; the widget downsamples).
struct PlotSeries
{
    QString name;
    QColor color;
    std::vector<track::SeriesPoint> points;
    bool dashed = false;
    /// Drawn pale and thin behind the others, left out of the legend; the hover read-out
    /// shows its value next to the series of the same name ("raw" values under a smoothed line).
    bool faint = false;
    /// A dot on every drawn point and no line (a scatter of values by x).
    bool scatter = false;
    /// A shaded band behind the line, band[i] = {low, high} at points[i].x (empty: none): a
    /// group of runs' spread around its mean. The y range fits it as it fits the line.
    std::vector<std::pair<double, double>> band{};
    /// The hover read-out's text for points[i], after the name (default: its y); a band says
    /// its centre, its range and how many runs it holds there.
    std::function<QString(std::size_t)> describe{};
};

/// A vertical mark on the x axis (a steering change, a checkpoint) with a short label.
struct PlotMarker
{
    double x = 0;
    QString label;
    QColor color;
};

/// A fast line chart painted with QPainter: several series, axes with ticks, optional log-y,
/// zoom (wheel; right-drag or shift-drag selects a range) and pan (drag), level-of-detail
/// downsampling of the visible range to the pixels on screen (every stored point is drawn once
/// the view holds no more than 2 points per pixel column), a marker on every point of a series
/// with few visible points, a NaN y as a gap in its line, a legend in the corner that hides
/// the least of the lines, a hover read-out of exact values, and vertical markers. Double-click
/// resets the view. Only x is zoomed; y fits what is shown. GUI thread only.
class PlotWidget : public QWidget
{
    Q_OBJECT

public:
    explicit PlotWidget(QWidget *parent = nullptr);

    void setSeries(std::vector<PlotSeries> series);
    const std::vector<PlotSeries> &series() const { return m_series; }
    void setMarkers(std::vector<PlotMarker> markers);
    const std::vector<PlotMarker> &markers() const { return m_markers; }
    void setTitle(const QString &title);
    void setAxisTitles(const QString &x, const QString &y);
    void setLogY(bool on);
    bool logY() const { return m_logY; }
    void setLogX(bool on);
    /// Shows or hides the legend of series names (shown by default).
    void setLegendVisible(bool on);
    /// Text for x tick labels and the hover read-out (default: a compact number).
    void setXFormatter(std::function<QString(double)> format);
    /// Shown centred when there is nothing to plot ("Start a run to see its curves").
    void setEmptyText(const QString &text);

    /// The visible x range; setXRange() zooms to it (autoscaling y to what it shows).
    std::pair<double, double> xRange() const;
    void setXRange(double lo, double hi);
    /// Back to showing all the data (the x range then follows new data).
    void resetView();
    /// True after a zoom or pan, until resetView().
    bool isZoomed() const { return m_zoomed; }
    /// The visible y range of the last paint (value units, also on a log axis).
    std::pair<double, double> yRange() const;
    /// Points drawn by the last paint inside the visible x range, over all series (for tests
    /// and benchmarks).
    std::size_t drawnPoints() const { return m_drawnPoints; }
    /// Series with fewer visible points than this get a marker on each point.
    static constexpr std::size_t kMarkedBelow = 30;
    /// Markers drawn by the last paint on the points of series with few visible points
    /// (fewer than kMarkedBelow: a short validation series is then seen, not a dot). When
    /// every series is that short, the fitted x range leaves room for the end markers.
    std::size_t markedPoints() const { return m_markedPoints; }
    /// Where the last paint put the legend (the corner of the plot area that hides the
    /// fewest line segments and no line end if it can); empty when none was drawn.
    QRectF legendRect() const { return m_legendRect; }
    /// The plot area inside the axes, in widget coordinates.
    QRect plotRect() const;
    /// The lines of the hover read-out the last paint drew (the x, then one per series);
    /// empty when none was drawn.
    const QStringList &hoverText() const { return m_hoverText; }

    QSize sizeHint() const override { return {480, 300}; }
    QSize minimumSizeHint() const override { return {200, 140}; }

Q_SIGNALS:
    /// The visible x range changed by zoom, pan, reset or setXRange().
    void viewChanged();

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    /// What one paint shows: the plot area, the ranges in axis units and the reduced series.
    struct View
    {
        QRectF rect;
        double t0 = 0, t1 = 1, y0 = 0, y1 = 1;
        std::vector<LodSlice> slices; ///< one per series
        double px(double t) const { return rect.left() + (t - t0) / (t1 - t0) * rect.width(); }
        double py(double u) const { return rect.bottom() - (u - y0) / (y1 - y0) * rect.height(); }
    };

    View computeView();
    void invalidate();
    void renderPlot(QPainter &painter);
    /// Draws the series and hands back the lines drawn (widget coordinates, faint ones left
    /// out) for the legend to avoid.
    void drawSeries(QPainter &painter, const View &view, std::vector<QPolygonF> &lines);
    void drawPointMarkers(QPainter &painter, const View &view, std::size_t series);
    /// The bands of the series (plot_widget_band.cpp): drawn under every line, and their
    /// visible lows and highs widen the y range [lo, hi] (value units).
    void drawBands(QPainter &painter, const View &view);
    std::vector<QPolygonF> bandPolygons(const PlotSeries &series, const View &view) const;
    void fitBands(const View &view, double &lo, double &hi) const;
    /// The points of `series` whose x lies in the axis range [t0, t1]: [begin, end).
    std::pair<std::size_t, std::size_t> visibleRange(const PlotSeries &series, double t0,
                                                     double t1) const;
    void drawAxes(QPainter &painter, const View &view);
    void drawMarkers(QPainter &painter, const View &view);
    void drawLegend(QPainter &painter, const QRectF &area, const std::vector<QPolygonF> &lines);
    void drawHover(QPainter &painter);
    void drawSelection(QPainter &painter);
    std::pair<double, double> axisXRange() const;
    double pixelToAxisX(double px) const;
    double toAxisX(double x) const;
    double fromAxisX(double t) const;
    QString formatX(double x, double step) const;
    void setAxisRange(double t0, double t1);

    std::vector<PlotSeries> m_series;
    std::vector<PlotMarker> m_markers;
    std::size_t m_drawnPoints = 0;
    std::size_t m_markedPoints = 0;
    QRectF m_legendRect;
    QString m_title;
    QString m_xTitle;
    QString m_yTitle;
    QString m_emptyText;
    std::function<QString(double)> m_xFormat;
    bool m_logY = false;
    bool m_logX = false;
    bool m_legend = true;
    bool m_zoomed = false;
    double m_t0 = 0; ///< the zoomed x range in axis units (log10 x when m_logX)
    double m_t1 = 1;
    double m_y0 = 0; ///< last painted y range, in axis units
    double m_y1 = 1;
    QPixmap m_cache; ///< the plot without hover overlays; null when stale
    std::optional<QPoint> m_hover;
    QStringList m_hoverText;
    std::optional<QPoint> m_pressAt;
    std::optional<QPoint> m_dragAt;
    bool m_selecting = false;
    double m_pressT0 = 0;
    double m_pressT1 = 0;
};

} // namespace lathe::panels
