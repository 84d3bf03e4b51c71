#pragma once

#include <QImage>
#include <QString>
#include <QWidget>

namespace lathe::panels {

/// Draws one inspection view, scaled to fit with square pixels and no smoothing: either a grid
/// of feature-map tiles (click a tile to zoom into that channel, click again to go back) or an
/// input image with a heatmap over it at an adjustable opacity. Shows `placeholder` while there
/// is nothing to draw. GUI thread only.
class InspectImageView : public QWidget
{
    Q_OBJECT

public:
    explicit InspectImageView(QWidget *parent = nullptr);

    /// Shows a grid of `channels` tiles laid out `columns` wide (tile size and padding in
    /// image pixels). Keeps the zoomed channel when it still exists.
    void setGrid(const QImage &grid, int channels, int columns, int tileWidth, int tileHeight,
                 int padding);
    /// Shows `input` with `heatmap` (same size or scaled to it) drawn over it.
    void setOverlay(const QImage &input, const QImage &heatmap);
    /// Opacity of the heatmap, 0..1.
    void setOpacity(double opacity);
    /// Zooms into channel `channel` of the grid (-1 = the whole grid).
    void setZoomChannel(int channel);
    /// Clears the view and shows `text` in its place.
    void setPlaceholder(const QString &text);

    int zoomChannel() const { return m_zoom; }
    bool hasImage() const { return !m_image.isNull(); }
    double opacity() const { return m_opacity; }
    /// The rectangle (widget coordinates) where grid tile `channel` is drawn; empty when not shown.
    QRect tileRect(int channel) const;
    /// What is drawn now, at the image's own resolution (the zoomed tile when zoomed).
    QImage shownImage() const;

    QSize sizeHint() const override { return {360, 360}; }
    QSize minimumSizeHint() const override { return {160, 160}; }

Q_SIGNALS:
    /// A tile was clicked: the view zoomed into `channel` (or back to the grid: -1).
    void zoomChanged(int channel);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    QRect sourceRect() const;
    QRect targetRect() const;
    int channelAt(const QPoint &pos) const;

    QImage m_image;   ///< the grid, or the input
    QImage m_heatmap; ///< null for a grid
    QString m_placeholder;
    double m_opacity = 0.5;
    int m_channels = 0, m_columns = 0, m_tileWidth = 0, m_tileHeight = 0, m_padding = 0;
    int m_zoom = -1;
};

} // namespace lathe::panels
