// The class-accuracy plugin's widget: a run's validation recall of every class over training,
// read through the window's IPanelHost.
#pragma once

#include "lathe/plugin.h"

#include <QColor>
#include <QPointF>
#include <QString>
#include <QTimer>
#include <QWidget>

#include <cstdint>
#include <string>
#include <vector>

namespace class_accuracy {

/// The metric names this panel plots: "val/per-class-accuracy/<class name>", recorded at every
/// validation by the built-in "per-class-accuracy" metric.
inline constexpr const char *kPrefix = "val/per-class-accuracy/";

/// One line per class of the shown run's per-class accuracy over optimizer steps (y fixed to
/// 0..1, a legend with each class's latest value, hover for the values at a step), or a centred
/// hint when no run is shown or the run records no per-class accuracy. Polls the host every
/// kPollMs while visible, only for the steps after the last one it has. For tests and scripts it
/// publishes what it shows as dynamic properties: "runId", "seriesCount", "pointCount", "hint"
/// (empty while plotting) and "plotRect". GUI thread only.
class ClassAccuracyView : public QWidget
{
public:
    static constexpr int kPollMs = 500;

    explicit ClassAccuracyView(lathe::sdk::IPanelHost &host, QWidget *parent = nullptr);

    /// Shows run `runId` (-1 = none); the same run again keeps what was read.
    void showRun(std::int64_t runId);
    /// Reads what is new now (also done by the timer while visible).
    void poll();

    QSize sizeHint() const override { return {640, 400}; }

protected:
    void paintEvent(QPaintEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    /// One class's line.
    struct Series
    {
        std::string key;
        QString name;
        QColor colour;
        std::vector<QPointF> points; ///< (step, value), NaN values left out
        std::int64_t lastStep = -1;
    };

    void readNew();
    Series &seriesFor(const std::string &key);
    void publish();
    QRect plotRect() const;
    int legendWidth() const;
    double maxStep() const;
    QPointF toPixel(const QRect &area, double step, double value) const;
    void paintHint(QPainter &painter, const QRect &area) const;
    void paintAxes(QPainter &painter, const QRect &area) const;
    void paintSeries(QPainter &painter, const QRect &area) const;
    void paintLegend(QPainter &painter, const QRect &area) const;
    void paintHover(QPainter &painter, const QRect &area) const;

    lathe::sdk::IPanelHost &m_host;
    QTimer m_timer;
    std::int64_t m_runId = -1;
    QString m_runName;
    bool m_missing = false;       ///< the run is not in the store
    std::vector<Series> m_series; ///< in natural order of their names
    double m_hoverStep = -1;      ///< the step under the mouse; < 0 when none
};

} // namespace class_accuracy
