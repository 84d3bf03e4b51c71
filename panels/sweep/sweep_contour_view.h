#pragma once

#include "panels/bridge/sweep_snapshot.h"

#include <QImage>
#include <QWidget>

#include <vector>

namespace lathe::panels {

/// A sweep's objective over two of its keys: the completed trials' values interpolated over the
/// X-Y plane by inverse-distance weighting (power 2, distances in fractions of each axis) on a
/// grid of kCells x kCells, drawn as a filled colour map (Viridis, the heat maps' colouring:
/// objectiveColour), the trials as dots on top (completed ones in their value's colour, the best
/// ringed; the others hollow and grey), a colour bar with the objective's range, axis titles and
/// tick values. A log_uniform key has a log axis; a choice key's values are evenly spaced
/// categories named on the axis, and the grid takes a category's value across its whole band
/// (nothing is interpolated between two categories). The grid is computed when the data or
/// the keys change, never while painting. Says why instead of drawing with fewer than three
/// completed trials that have both keys, or when X and Y are one key. GUI thread only.
class SweepContourView : public QWidget
{
    Q_OBJECT

public:
    /// Grid cells along each axis.
    static constexpr int kCells = 60;

    explicit SweepContourView(QWidget *parent = nullptr);

    /// Replaces the trials over `axes`; the objective is `metric` (`maximize`: larger is
    /// better, for the best trial's ring). Keeps the keys when they are still axes.
    void setData(std::vector<SweepAxis> axes, std::vector<TrialItem> trials, QString metric,
                 bool maximize);
    /// Plots axis `x` against axis `y` (indices into the axes; -1: none).
    void setKeys(int x, int y);

    /// The sentence shown instead of the plot; empty when the plot is drawn.
    QString message() const { return m_message; }
    /// The objective's range on the colour bar (the completed trials' lowest and highest).
    double low() const { return m_low; }
    double high() const { return m_high; }
    /// The colour of objective `value` on the colour bar.
    QColor colourOf(double value) const;
    /// Where a trial with coordinates (`x`, `y`) (a key's value, a choice's index: as
    /// TrialItem::coords) is drawn, in widget pixels; for tests.
    QPoint plotPoint(double x, double y) const;
    /// Trials the last paint drew as dots (for tests).
    int drawnDots() const { return m_drawnDots; }

    QSize sizeHint() const override { return {480, 320}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    struct Tick
    {
        double unit = 0; ///< where, as a fraction of the axis
        QString label;
    };
    /// One axis of the plane, mapped to [0, 1]: [lo, hi] (log10 of them on a log axis), or
    /// one band per category.
    struct Scale
    {
        double lo = 0;
        double hi = 1;
        bool log = false;
        QStringList categories;
        /// A coordinate (value or choice index) as a fraction of the axis; NaN when it has none.
        double unit(double coord) const;
        /// The grid's cell `cell` of kCells as a fraction of the axis: its centre, or its
        /// category's centre.
        double cellUnit(int cell) const;
        /// Ticks for an axis `pixels` long: the categories' names, or nice values.
        std::vector<Tick> ticks(int pixels) const;
    };
    static Scale scaleOf(const SweepAxis &axis);
    /// Recomputes the message, the range and the grid image from the data and keys.
    void rebuild();
    QString whyNotDrawn(int points) const;
    QRect plotRect() const;
    /// Where coordinates (`x`, `y`) fall in `plot`.
    QPointF pointIn(const QRectF &plot, double x, double y) const;
    void paintXAxis(QPainter &painter, const QRect &plot) const;
    void paintYAxis(QPainter &painter, const QRect &plot) const;
    void paintDots(QPainter &painter, const QRect &plot);
    void paintColourBar(QPainter &painter, const QRect &plot) const;

    std::vector<SweepAxis> m_axes;
    std::vector<TrialItem> m_trials;
    QString m_metric;
    bool m_maximize = true;
    int m_x = -1;
    int m_y = -1;
    Scale m_xScale;
    Scale m_yScale;
    QString m_message;
    double m_low = 0;
    double m_high = 0;
    QImage m_grid; ///< kCells x kCells, row 0 at the top (the highest Y)
    int m_drawnDots = 0;
};

} // namespace lathe::panels
