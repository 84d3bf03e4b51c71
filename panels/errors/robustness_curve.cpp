#include "panels/errors/robustness_curve.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace lathe::panels {

RobustnessCurve::RobustnessCurve(QWidget *parent)
    : QWidget(parent)
{
    setMinimumSize(240, 160);
}

void RobustnessCurve::setPoints(const QList<QPointF> &points, const QString &message)
{
    m_points = points;
    m_message = message;
    update();
}

void RobustnessCurve::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.fillRect(rect(), palette().base());
    const QFontMetrics metrics(font());
    const int margin = metrics.height();
    const QRect plot = rect().adjusted(margin * 3, margin, -margin, -margin * 2);
    if (m_points.isEmpty() || plot.width() < 10 || plot.height() < 10) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, m_message);
        return;
    }
    const double maxEps = std::max(m_points.back().x(), 1e-9);
    auto toScreen = [&](const QPointF &p) {
        return QPointF(plot.left() + p.x() / maxEps * plot.width(),
                       plot.bottom() - std::clamp(p.y(), 0.0, 1.0) * plot.height());
    };
    // Axes, gridlines at 0, 0.5 and 1 accuracy, and a tick at each epsilon.
    painter.setPen(palette().color(QPalette::Mid));
    for (const double y : {0.0, 0.5, 1.0}) {
        const double sy = plot.bottom() - y * plot.height();
        painter.drawLine(QPointF(plot.left(), sy), QPointF(plot.right(), sy));
        painter.drawText(QRectF(0, sy - margin / 2.0, plot.left() - 4, margin),
                         Qt::AlignRight | Qt::AlignVCenter, QString::number(y, 'f', 1));
    }
    painter.setPen(palette().color(QPalette::Text));
    painter.drawLine(plot.bottomLeft(), plot.bottomRight());
    painter.drawLine(plot.bottomLeft(), plot.topLeft());
    for (const auto &p : m_points) {
        const double sx = toScreen(p).x();
        painter.drawText(QRectF(sx - 30, plot.bottom() + 2, 60, margin), Qt::AlignCenter,
                         QString::number(p.x(), 'g', 3));
    }
    painter.drawText(QRectF(plot.left(), plot.bottom() + margin, plot.width(), margin),
                     Qt::AlignCenter, tr("epsilon (pixels in [0, 1])"));
    painter.save();
    painter.translate(margin / 2.0, plot.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-plot.height() / 2.0, -margin / 2.0, plot.height(), margin),
                     Qt::AlignCenter, tr("accuracy"));
    painter.restore();
    // The curve.
    QPainterPath path(toScreen(m_points.front()));
    for (const auto &p : m_points)
        path.lineTo(toScreen(p));
    painter.setPen(QPen(palette().color(QPalette::Highlight), 2));
    painter.drawPath(path);
    painter.setBrush(palette().color(QPalette::Highlight));
    for (const auto &p : m_points) {
        const QPointF s = toScreen(p);
        painter.drawEllipse(s, 3.5, 3.5);
        // Labels right of their point, but left of it near the right edge, so none is cut off.
        const bool leftOf = s.x() + 64 > width();
        painter.drawText(QRectF(leftOf ? s.x() - 64 : s.x() + 4, s.y() - margin - 2, 60, margin),
                         (leftOf ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignBottom,
                         QString::number(p.y() * 100, 'f', 1) + "%");
    }
}

} // namespace lathe::panels
