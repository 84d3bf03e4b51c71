#pragma once

#include <QImage>
#include <QWidget>

#include <optional>
#include <vector>

namespace lathe::panels {

class HistogramSeries;

/// Paints one HistogramSeries over training, as a heatmap (x = recorded step, y = value over
/// the union of the steps' ranges, colour = count) or as a ridgeline (one curve of the value
/// distribution per recorded step, offset vertically, the newest in front; each curve scaled
/// to its own peak; at most kMaxRidges steps, evenly picked, the newest always). Hovering
/// reads out the step, the bin's range and its count. The heatmap is cached as a QImage,
/// rebuilt only when the series, the colour scale or the height changes. GUI thread only.
class HistogramView : public QWidget
{
    Q_OBJECT

public:
    enum class Mode { Heatmap, Ridgeline };
    static constexpr int kMaxRidges = 40;

    explicit HistogramView(QWidget *parent = nullptr);

    /// Shows `series` (not owned; null = nothing). Call seriesChanged() after changing it.
    void setSeries(const HistogramSeries *series);
    /// The series' content changed: drops the cached heatmap and repaints.
    void seriesChanged();
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }
    /// Colour by log(1 + count) instead of count (heatmap).
    void setLogColour(bool on);
    bool logColour() const { return m_logColour; }
    /// The hint painted when there is nothing to show.
    void setEmptyText(const QString &text);
    const QString &emptyText() const { return m_emptyText; }

    /// Where the data is drawn, inside the axes.
    QRect plotRect() const;
    /// The recorded sample under widget position `pos` (the heatmap's column, or the
    /// ridgeline's front-most ridge at or below it); nullopt outside the plot or without data.
    std::optional<std::size_t> sampleAt(QPoint pos) const;
    /// The value under `pos` (y on the heatmap, x on the ridgeline).
    double valueAt(QPoint pos) const;
    /// The hover read-out for widget position `pos` ("step 400 · [-0.12, -0.11) · count 532");
    /// empty outside the plot or when there is no data.
    QString readoutAt(QPoint pos) const;
    /// The sample indices the ridgeline draws, oldest first.
    std::vector<std::size_t> ridgeIndices() const;

    QSize sizeHint() const override { return {520, 340}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

Q_SIGNALS:
    /// The read-out under the mouse changed (empty when it left the plot).
    void hovered(const QString &text);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    bool hasData() const;
    int heatmapRows() const;
    std::vector<double> ridgeBaselines(std::size_t count) const;
    void paintHeatmap(QPainter &painter);
    void paintRidgeline(QPainter &painter);
    void paintValueAxis(QPainter &painter, bool vertical);
    void paintStepAxis(QPainter &painter);
    void paintEmpty(QPainter &painter);

    const HistogramSeries *m_series = nullptr;
    Mode m_mode = Mode::Heatmap;
    bool m_logColour = false;
    QString m_emptyText;
    QImage m_heatmap; ///< cached; null when stale
    QString m_lastReadout;
};

} // namespace lathe::panels
