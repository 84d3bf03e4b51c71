#pragma once

#include "panels/bridge/sweep_snapshot.h"

#include <QWidget>

#include <vector>

namespace lathe::panels {

/// Parallel coordinates of a sweep: one vertical axis per key of its space (log10 for a
/// log_uniform key, one labelled position per value for a choice key) and the objective last;
/// one polyline per trial, a completed one coloured by its objective (pale blue the worst to
/// dark red the best, the best drawn on top), the others grey. A segment to an inactive key is
/// left out. Painted with QPainter; a hint when there is nothing to draw. GUI thread only.
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

    QSize sizeHint() const override { return {560, 280}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    struct Scale
    {
        double lo = 0;
        double hi = 1;
        bool log = false;
        QStringList categories;
    };
    std::vector<Scale> scales() const;
    double yOf(const Scale &scale, double value, const QRect &plot) const;
    void paintAxis(QPainter &painter, const Scale &scale, const QString &name, int x,
                   const QRect &plot, int spacing) const;

    std::vector<SweepAxis> m_axes;
    std::vector<TrialItem> m_trials;
    QString m_metric;
    bool m_maximize = true;
    int m_drawnLines = 0;
};

} // namespace lathe::panels
