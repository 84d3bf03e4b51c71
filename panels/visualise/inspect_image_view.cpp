#include "panels/visualise/inspect_image_view.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace lathe::panels {

InspectImageView::InspectImageView(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setMouseTracking(false);
}

void InspectImageView::setGrid(const QImage &grid, int channels, int columns, int tileWidth,
                               int tileHeight, int padding)
{
    m_image = grid;
    m_heatmap = {};
    m_channels = channels;
    m_columns = std::max(columns, 1);
    m_tileWidth = tileWidth;
    m_tileHeight = tileHeight;
    m_padding = padding;
    if (m_zoom >= m_channels)
        m_zoom = -1;
    setCursor(channels > 1 ? Qt::PointingHandCursor : Qt::ArrowCursor);
    update();
}

void InspectImageView::setOverlay(const QImage &input, const QImage &heatmap)
{
    m_image = input;
    m_heatmap = heatmap;
    m_channels = 0;
    unsetCursor();
    update();
}

void InspectImageView::setOpacity(double opacity)
{
    m_opacity = std::clamp(opacity, 0.0, 1.0);
    update();
}

void InspectImageView::setZoomChannel(int channel)
{
    const int zoom = channel >= 0 && channel < m_channels ? channel : -1;
    if (zoom == m_zoom)
        return;
    m_zoom = zoom;
    update();
    Q_EMIT zoomChanged(m_zoom);
}

void InspectImageView::setPlaceholder(const QString &text)
{
    m_image = {};
    m_heatmap = {};
    m_channels = 0;
    m_placeholder = text;
    update();
}

QRect InspectImageView::sourceRect() const
{
    if (m_channels > 0 && m_zoom >= 0) {
        const int row = m_zoom / m_columns, column = m_zoom % m_columns;
        return {column * (m_tileWidth + m_padding), row * (m_tileHeight + m_padding), m_tileWidth,
                m_tileHeight};
    }
    return m_image.rect();
}

QRect InspectImageView::targetRect() const
{
    const QRect source = sourceRect();
    if (source.isEmpty())
        return {};
    // Whole multiples of the image's pixels when they fit, so tiles stay crisp.
    const QRect area = rect().adjusted(4, 4, -4, -4);
    double scale
        = std::min(double(area.width()) / source.width(), double(area.height()) / source.height());
    if (scale >= 1.0)
        scale = std::floor(scale);
    const QSize size(int(source.width() * scale), int(source.height() * scale));
    return QRect(area.center() - QPoint(size.width() / 2, size.height() / 2), size);
}

QRect InspectImageView::tileRect(int channel) const
{
    if (channel < 0 || channel >= m_channels || m_zoom >= 0)
        return {};
    const QRect target = targetRect();
    const double scale = double(target.width()) / m_image.width();
    const int row = channel / m_columns, column = channel % m_columns;
    return QRectF(target.left() + column * (m_tileWidth + m_padding) * scale,
                  target.top() + row * (m_tileHeight + m_padding) * scale, m_tileWidth * scale,
                  m_tileHeight * scale)
        .toAlignedRect();
}

QImage InspectImageView::shownImage() const
{
    return m_image.isNull() ? QImage() : m_image.copy(sourceRect());
}

int InspectImageView::channelAt(const QPoint &pos) const
{
    for (int c = 0; c < m_channels; ++c) {
        if (tileRect(c).contains(pos))
            return c;
    }
    return -1;
}

void InspectImageView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton || m_channels <= 1)
        return QWidget::mousePressEvent(event);
    if (m_zoom >= 0) {
        setZoomChannel(-1);
        return;
    }
    if (const int channel = channelAt(event->position().toPoint()); channel >= 0)
        setZoomChannel(channel);
}

void InspectImageView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    if (m_image.isNull()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap,
                         m_placeholder);
        return;
    }
    const QRect target = targetRect();
    painter.fillRect(target, Qt::black);
    painter.drawImage(target, m_image, sourceRect());
    if (!m_heatmap.isNull()) {
        painter.setOpacity(m_opacity);
        painter.setRenderHint(QPainter::SmoothPixmapTransform, true);
        painter.drawImage(target, m_heatmap);
        painter.setOpacity(1.0);
    }
    if (m_zoom >= 0) {
        painter.setPen(Qt::white);
        painter.drawText(target.adjusted(6, 4, -6, -4), Qt::AlignLeft | Qt::AlignTop,
                         tr("channel %1 · click to go back").arg(m_zoom));
    }
}

} // namespace lathe::panels
