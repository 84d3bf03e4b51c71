#include "panels/runs/parallel_coords_widget.h"
#include "panels/common/run_colour.h"

#include "panels/common/plot_axis.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace lathe::panels {

namespace {

constexpr int kTop = 52;
constexpr int kBottom = 40;
constexpr int kAxisMargin = 56;
// Up to this many distinct values on an axis are each a tick; more get a nice scale.
constexpr std::size_t kValueTicks = 6;

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
    return range;
}

double ParallelCoordsWidget::position(const Range &range, double value) const
{
    if (range.hi == range.lo)
        return 0.5; // one value: in the middle
    if (range.log)
        return (std::log10(value) - std::log10(range.lo))
               / (std::log10(range.hi) - std::log10(range.lo));
    return (value - range.lo) / (range.hi - range.lo);
}

std::vector<double> ParallelCoordsWidget::ticks(std::size_t axis) const
{
    std::vector<double> values;
    for (const auto &line : m_lines) {
        const double v = axis < line.values.size() ? line.values[axis] : NAN;
        if (std::isfinite(v))
            values.push_back(v);
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (values.size() <= kValueTicks)
        return values;
    const Range range = rangeOf(axis);
    if (!range.log)
        return niceTicks(range.lo, range.hi, 5);
    std::vector<double> ticks = logTicks(std::log10(range.lo), std::log10(range.hi), 5);
    for (double &t : ticks)
        t = std::pow(10.0, t);
    return ticks;
}

void ParallelCoordsWidget::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRect plot = rect().adjusted(kAxisMargin, kTop, -kAxisMargin, -kBottom);
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
    paintLegend(painter);
}

void ParallelCoordsWidget::paintLegend(QPainter &painter) const
{
    // One swatch per run, in the colour of its line, flowing left to right on the last row.
    const QFontMetrics metrics(font());
    const int y = height() - metrics.height() - 4;
    int x = kAxisMargin;
    for (const auto &line : m_lines) {
        const QString name = metrics.elidedText(line.name, Qt::ElideRight, 160);
        const int w = 14 + metrics.horizontalAdvance(name) + 16;
        if (x + w > width() - 4) {
            painter.setPen(palette().color(QPalette::PlaceholderText));
            painter.drawText(QPoint(x, y + metrics.ascent()), QStringLiteral("…"));
            break;
        }
        painter.fillRect(QRect(x, y + 2, 10, metrics.height() - 4), line.color);
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
    for (const auto &line : m_lines) {
        painter.setPen(QPen(line.color, 2.0));
        painter.setBrush(line.color);
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
        paintTicks(painter, i, x, plot, ranges[i]);
    }
}

void ParallelCoordsWidget::paintTicks(QPainter &painter, std::size_t axis, int x, const QRect &plot,
                                      const Range &range) const
{
    // Labels left of the axis (right of the last one); one that would overlap the label
    // drawn before it is left out, its tick stays.
    const QFontMetrics metrics(font());
    const bool last = axis + 1 == m_axes.size();
    double previousY = INFINITY;
    for (const double value : ticks(axis)) {
        const double y = plot.bottom() - position(range, value) * plot.height();
        painter.setPen(palette().color(QPalette::Text));
        painter.drawLine(QPointF(x - 4, y), QPointF(x + 4, y));
        if (std::abs(previousY - y) < metrics.height())
            continue;
        previousY = y;
        const QString label = formatValue(value);
        const int w = metrics.horizontalAdvance(label);
        const QRectF box(last ? x + 6 : x - 6 - w, y - metrics.height() / 2.0, w, metrics.height());
        painter.fillRect(box, faded(palette().color(QPalette::Base), 200));
        painter.setPen(palette().color(QPalette::PlaceholderText).darker(130));
        painter.drawText(box, Qt::AlignCenter, label);
    }
}

} // namespace lathe::panels
