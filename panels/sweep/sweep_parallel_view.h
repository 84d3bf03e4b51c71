#pragma once

#include "panels/bridge/sweep_snapshot.h"

#include <QList>
#include <QWidget>

#include <map>
#include <utility>
#include <vector>

namespace lathe::panels {

/// Parallel coordinates of a sweep: one vertical axis per key of its space (log10 for a
/// log_uniform key, one labelled position per value for a choice key) and the objective last;
/// one polyline per trial, a completed one coloured by its objective (pale blue the worst to
/// dark red the best, the best drawn on top), the others grey. A segment to an inactive key is
/// left out. Brushing: a drag along an axis keeps the trials whose value there is inside the
/// dragged range (on every brushed axis); the others turn grey and brushed() names the kept
/// trials' runs; a click on an axis takes its brush away. Brushes are kept in fractions of the
/// axis, so they survive new data. Painted with QPainter; a hint when there is nothing to
/// draw. GUI thread only.
class SweepParallelView : public QWidget
{
    Q_OBJECT

public:
    explicit SweepParallelView(QWidget *parent = nullptr);

    /// Replaces the plot with `trials` over `axes`, the objective `metric` (`maximize`: larger
    /// is better) on the last axis.
    void setData(std::vector<SweepAxis> axes, std::vector<TrialItem> trials, QString metric,
                 bool maximize);
    /// The number of polylines the last paint drew (for tests).
    int drawnLines() const { return m_drawnLines; }
    /// The runs of the trials inside every brush; empty when there is no brush.
    QList<qint64> brushedRuns() const;
    /// Where axis `axis` (the last is the objective's) is at `fraction` of its height, 0 at
    /// the bottom; for tests that brush with the mouse.
    QPoint axisPoint(int axis, double fraction) const;
    /// Takes every brush away (emits brushed() with none when there was one).
    void clearBrushes();

    QSize sizeHint() const override { return {560, 280}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

Q_SIGNALS:
    /// A brush was drawn or taken away: the runs of the trials inside every brush (empty when
    /// no brush is left, or none is inside).
    void brushed(const QList<qint64> &runIds);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;

private:
    struct Scale
    {
        double lo = 0;
        double hi = 1;
        bool log = false;
        QStringList categories;
    };
    struct Layout
    {
        QRect plot;
        int spacing = 0; ///< pixels between two axes
        int count = 0;   ///< axes, the objective's included
    };
    Layout layout() const;
    std::vector<Scale> scales() const;
    /// The trial's coordinate on `axis` (the last: its objective; NaN unless completed).
    double valueOn(const TrialItem &trial, int axis) const;
    bool inBrushes(const TrialItem &trial, const std::vector<Scale> &axisScales,
                   const QRect &plot) const;
    /// The axis under `pos` (within 10 px of its line), or -1.
    int axisAt(const QPoint &pos) const;
    double yOf(const Scale &scale, double value, const QRect &plot) const;
    void paintAxis(QPainter &painter, const Scale &scale, const QString &name, int x,
                   const QRect &plot, int spacing) const;

    std::vector<SweepAxis> m_axes;
    std::vector<TrialItem> m_trials;
    QString m_metric;
    bool m_maximize = true;
    int m_drawnLines = 0;
    std::map<int, std::pair<double, double>> m_brushes; ///< axis -> [lo, hi] in axis fractions
    int m_dragAxis = -1;
    double m_dragFrom = 0;
};

} // namespace lathe::panels
