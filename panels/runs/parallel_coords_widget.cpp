#include "panels/runs/parallel_coords_widget.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace lathe::panels {

namespace {

constexpr int kTop = 64;
constexpr int kBottom = 52;
constexpr int kSide = 56;

QString formatValue(double value)
{
    return QString::number(value, 'g', 4);
}

} // namespace

ParallelCoordsWidget::ParallelCoordsWidget(QWidget *parent)
    : QWidget(parent)
    , m_emptyText(tr("Select two or more runs to compare their hyperparameters."))
{
    setObjectName(QStringLiteral("parallelCoords"));
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
}

void ParallelCoordsWidget::setData(std::vector<ParallelAxis> axes, std::vector<ParallelLine> lines)
{
    m_axes = std::move(axes);
    m_lines = std::move(lines);
    update();
}

void ParallelCoordsWidget::setEmptyText(const QString &text)
{
    m_emptyText = text;
    update();
}

ParallelCoordsWidget::Range ParallelCoordsWidget::rangeOf(std::size_t axis) const
{
    Range range;
    double lo = INFINITY, hi = -INFINITY;
    bool positive = true;
    for (const auto &line : m_lines) {
        const double v = axis < line.values.size() ? line.values[axis] : NAN;
        if (!std::isfinite(v))
            continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        positive = positive && v > 0;
    }
    if (lo > hi)
        return range;
    range.log = m_axes[axis].logScale && positive;
    range.lo = lo;
    range.hi = hi;
    if (lo == hi) {
        // One value: centre it instead of dividing by zero.
        const double pad = lo == 0 ? 1 : std::abs(lo) * 0.5;
        range.lo = range.log ? lo / 2 : lo - pad;
        range.hi = range.log ? hi * 2 : hi + pad;
    }
    return range;
}

double ParallelCoordsWidget::position(const Range &range, double value) const
{
    if (range.log)
        return (std::log10(value) - std::log10(range.lo))
               / (std::log10(range.hi) - std::log10(range.lo));
    return (value - range.lo) / (range.hi - range.lo);
}

QColor ParallelCoordsWidget::lineColor(double metric, const Range &range) const
{
    if (!std::isfinite(metric))
        return palette().color(QPalette::PlaceholderText);
    const double t = std::clamp(position(range, metric), 0.0, 1.0);
    return QColor::fromHsvF(float(t * 0.33), 0.85f, 0.80f);
}

void ParallelCoordsWidget::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRect plot = rect().adjusted(kSide, kTop, -kSide, -kBottom);
    if (m_axes.size() < 2 || m_lines.empty() || plot.width() < 20 || plot.height() < 20) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
                         m_emptyText);
        return;
    }
    std::vector<Range> ranges;
    for (std::size_t i = 0; i < m_axes.size(); ++i)
        ranges.push_back(rangeOf(i));
    paintLines(painter, plot, ranges);
    paintAxes(painter, plot, ranges);
    paintLegend(painter, ranges.back());
}

void ParallelCoordsWidget::paintLegend(QPainter &painter, const Range &metric) const
{
    // One swatch per run, in the colour of its line, flowing left to right on the last row.
    const QFontMetrics metrics(font());
    const int y = height() - metrics.height() - 4;
    int x = kSide;
    for (const auto &line : m_lines) {
        const QString name = metrics.elidedText(line.name, Qt::ElideRight, 160);
        const int w = 14 + metrics.horizontalAdvance(name) + 16;
        if (x + w > width() - 4) {
            painter.setPen(palette().color(QPalette::PlaceholderText));
            painter.drawText(QPoint(x, y + metrics.ascent()), QStringLiteral("…"));
            break;
        }
        painter.fillRect(QRect(x, y + 2, 10, metrics.height() - 4),
                         lineColor(line.values.back(), metric));
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(QPoint(x + 14, y + metrics.ascent()), name);
        x += w;
    }
}

void ParallelCoordsWidget::paintLines(QPainter &painter, const QRect &plot,
                                      const std::vector<Range> &ranges) const
{
    const std::size_t n = m_axes.size();
    const double step = double(plot.width()) / double(n - 1);
    const Range &metric = ranges.back();
    for (const auto &line : m_lines) {
        QPen pen(lineColor(line.values.back(), metric), 2.0);
        painter.setPen(pen);
        QPainterPath path;
        bool open = false;
        for (std::size_t i = 0; i < n; ++i) {
            const double v = line.values[i];
            if (!std::isfinite(v) || (ranges[i].log && v <= 0)) {
                open = false;
                continue;
            }
            const QPointF p(plot.left() + step * double(i),
                            plot.bottom() - position(ranges[i], v) * plot.height());
            if (open)
                path.lineTo(p);
            else
                path.moveTo(p);
            open = true;
            painter.drawEllipse(p, 2.5, 2.5);
        }
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(path);
    }
}

void ParallelCoordsWidget::paintAxes(QPainter &painter, const QRect &plot,
                                     const std::vector<Range> &ranges) const
{
    const std::size_t n = m_axes.size();
    const double step = double(plot.width()) / double(n - 1);
    const QFontMetrics metrics(font());
    const int labelWidth = int(std::max(step - 6, 40.0));
    const QColor text = palette().color(QPalette::Text);
    for (std::size_t i = 0; i < n; ++i) {
        const int x = int(plot.left() + step * double(i));
        painter.setPen(QPen(text, i + 1 == n ? 2.0 : 1.0));
        painter.drawLine(x, plot.top(), x, plot.bottom());
        QString name = m_axes[i].name + (ranges[i].log ? tr(" (log)") : QString());
        name = metrics.elidedText(name, Qt::ElideMiddle, labelWidth);
        QFont bold = font();
        bold.setBold(i + 1 == n);
        painter.setFont(bold);
        // Alternate label rows so neighbouring names never overlap; keep the outer ones inside.
        const int y = i % 2 == 0 ? 4 : 4 + metrics.height();
        const int left = std::clamp(x - labelWidth / 2, 2, width() - labelWidth - 2);
        const auto align = i == 0 ? Qt::AlignLeft : i + 1 == n ? Qt::AlignRight : Qt::AlignHCenter;
        painter.drawText(QRect(left, y, labelWidth, metrics.height()), align, name);
        painter.setFont(font());
        painter.setPen(palette().color(QPalette::PlaceholderText));
        const QRect top(x - labelWidth / 2, plot.top() - metrics.height() - 2, labelWidth,
                        metrics.height());
        const QRect bottom(x - labelWidth / 2, plot.bottom() + 4, labelWidth, metrics.height());
        painter.drawText(top, Qt::AlignCenter, formatValue(ranges[i].hi));
        painter.drawText(bottom, Qt::AlignCenter, formatValue(ranges[i].lo));
    }
}

} // namespace lathe::panels
