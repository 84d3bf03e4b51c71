#pragma once

#include <QColor>
#include <QString>
#include <QWidget>

#include <vector>

namespace lathe::panels {

/// One vertical axis of a parallel-coordinates plot.
struct ParallelAxis
{
    QString name;
    bool logScale = false; ///< log10 scale (used only when every value on it is > 0)
};

/// One run: its colour (runColour()) and a value per axis (NaN where the run has none).
struct ParallelLine
{
    QString name;
    QColor color;
    std::vector<double> values;
};

/// Parallel coordinates painted with QPainter: one vertical axis per hyperparameter, the last
/// axis the metric, one polyline per run in the run's colour, axis names on top, ticks at the
/// runs' own values (a nice scale when an axis holds more than a few) and a legend of run
/// names below. An axis spans exactly the values on it (one value sits in the middle).
/// Segments to a missing value are left out. Shows a hint when there is nothing to draw.
/// GUI thread only.
class ParallelCoordsWidget : public QWidget
{
    Q_OBJECT

public:
    explicit ParallelCoordsWidget(QWidget *parent = nullptr);

    /// Replaces the plot; every line has axes.size() values.
    void setData(std::vector<ParallelAxis> axes, std::vector<ParallelLine> lines);
    const std::vector<ParallelAxis> &axes() const { return m_axes; }
    const std::vector<ParallelLine> &lines() const { return m_lines; }
    /// The values labelled on axis `axis`: the distinct values on it when there are few,
    /// otherwise nice round values inside their range; ascending.
    std::vector<double> ticks(std::size_t axis) const;
    /// Shown when there are fewer than two axes or no lines.
    void setEmptyText(const QString &text);

    QSize sizeHint() const override { return {640, 280}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    struct Range
    {
        double lo = 0;
        double hi = 1;
        bool log = false;
    };
    Range rangeOf(std::size_t axis) const;
    double position(const Range &range, double value) const;
    void paintAxes(QPainter &painter, const QRect &plot, const std::vector<Range> &ranges) const;
    void paintLines(QPainter &painter, const QRect &plot, const std::vector<Range> &ranges) const;
    void paintTicks(QPainter &painter, std::size_t axis, int x, const QRect &plot,
                    const Range &range) const;
    void paintLegend(QPainter &painter) const;

    std::vector<ParallelAxis> m_axes;
    std::vector<ParallelLine> m_lines;
    QString m_emptyText;
};

} // namespace lathe::panels
