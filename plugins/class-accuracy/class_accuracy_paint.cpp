// ClassAccuracyView's painting: the plot area, its axes and grid, one line per class, the
// legend on the right and the hover read-out.
#include "class_accuracy_view.h"

#include <QLocale>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace class_accuracy {

namespace {

constexpr int kMargin = 8;
constexpr int kSwatch = 16;
constexpr int kMarkersUpTo = 60; ///< points per line up to which each point gets a dot
constexpr int kInset = 6;        ///< pixels between y = 0 or 1 and the frame, so lines there show

QColor faded(QColor colour, int alpha)
{
    colour.setAlpha(alpha);
    return colour;
}

/// A round tick spacing (1, 2 or 5 times a power of ten) giving about `ticks` ticks over `span`.
double niceStep(double span, int ticks)
{
    const double raw = span / std::max(1, ticks);
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (raw <= m * power)
            return std::max(1.0, m * power);
    return std::max(1.0, 10.0 * power);
}

QString valueText(double value)
{
    return QString::number(value, 'f', 3);
}

} // namespace

int ClassAccuracyView::legendWidth() const
{
    if (m_series.empty())
        return 0;
    const QFontMetrics fm(font());
    int names = 0;
    for (const auto &series : m_series)
        names = std::max(names, fm.horizontalAdvance(series.name));
    const int wanted = kSwatch + 6 + names + 10 + fm.horizontalAdvance("0.000") + 4;
    return std::min(wanted, width() * 2 / 5);
}

QRect ClassAccuracyView::plotRect() const
{
    const QFontMetrics fm(font());
    const int top = kMargin + fm.height() + 8;
    if (m_series.empty()) // a hint: no axes, no legend
        return QRect(kMargin, top, std::max(10, width() - 2 * kMargin),
                     std::max(10, height() - top - kMargin));
    const int left = kMargin + fm.horizontalAdvance("0.8") + 8;
    const int legend = legendWidth();
    const int right = width() - kMargin - (legend > 0 ? legend + 14 : 0);
    const int bottom = height() - kMargin - 2 * fm.height() - 6;
    return QRect(QPoint(left, top), QPoint(std::max(left + 10, right), std::max(top + 10, bottom)));
}

double ClassAccuracyView::maxStep() const
{
    double top = 0;
    for (const auto &series : m_series)
        if (!series.points.empty())
            top = std::max(top, series.points.back().x());
    return std::max(top, 1.0);
}

QPointF ClassAccuracyView::toPixel(const QRect &area, double step, double value) const
{
    return {area.left() + step / maxStep() * area.width(),
            area.bottom() - kInset - std::clamp(value, 0.0, 1.0) * (area.height() - 2 * kInset)};
}

void ClassAccuracyView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    const QRect area = plotRect();
    painter.fillRect(area, palette().base());

    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.setPen(palette().windowText().color());
    const QString title = m_runName.isEmpty()
                              ? tr("Per-class accuracy on validation")
                              : tr("Per-class accuracy on validation · %1").arg(m_runName);
    painter.drawText(
        QRect(area.left(), kMargin, width() - area.left() - kMargin, area.top() - 12),
        Qt::AlignLeft | Qt::AlignVCenter,
        QFontMetrics(bold).elidedText(title, Qt::ElideRight, width() - area.left() - kMargin));
    painter.setFont(font());

    if (const QString hint = property("hint").toString(); !hint.isEmpty())
        paintHint(painter, area);
    else {
        paintAxes(painter, area);
        paintSeries(painter, area);
        paintLegend(painter, area);
        paintHover(painter, area);
    }
    painter.setPen(palette().mid().color());
    painter.drawRect(area.adjusted(0, 0, -1, -1));
}

void ClassAccuracyView::paintHint(QPainter &painter, const QRect &area) const
{
    QFont larger = font();
    if (larger.pointSizeF() > 0)
        larger.setPointSizeF(larger.pointSizeF() * 1.15);
    else
        larger.setPixelSize(int(larger.pixelSize() * 1.15));
    painter.setFont(larger);
    painter.setPen(faded(palette().text().color(), 190));
    painter.drawText(area.adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap,
                     property("hint").toString());
    painter.setFont(font());
}

void ClassAccuracyView::paintAxes(QPainter &painter, const QRect &area) const
{
    const QFontMetrics fm(font());
    const QColor grid = faded(palette().text().color(), 30);
    const QColor text = palette().windowText().color();
    for (int i = 0; i <= 5; ++i) {
        const double value = i / 5.0;
        const int y = int(std::lround(toPixel(area, 0, value).y()));
        painter.setPen(grid);
        painter.drawLine(area.left(), y, area.right(), y);
        painter.setPen(text);
        painter.drawText(
            QRect(kMargin, y - fm.height() / 2, area.left() - kMargin - 6, fm.height()),
            Qt::AlignRight | Qt::AlignVCenter, QString::number(value, 'g', 2));
    }
    const double top = maxStep();
    const double step = niceStep(top, std::max(2, area.width() / 90));
    const QLocale locale;
    for (double tick = 0; tick <= top + 1e-9; tick += step) {
        const int x = int(std::lround(area.left() + tick / top * area.width()));
        painter.setPen(grid);
        painter.drawLine(x, area.top(), x, area.bottom());
        painter.setPen(text);
        const QString label = locale.toString(qlonglong(std::llround(tick)));
        const int w = fm.horizontalAdvance(label);
        const int left = std::clamp(x - w / 2, area.left() - w / 2, width() - kMargin - w);
        painter.drawText(QRect(left, area.bottom() + 4, w, fm.height()), Qt::AlignCenter, label);
    }
    painter.drawText(QRect(area.left(), area.bottom() + 4 + fm.height(), area.width(), fm.height()),
                     Qt::AlignCenter, tr("optimizer step"));
}

void ClassAccuracyView::paintSeries(QPainter &painter, const QRect &area) const
{
    painter.save();
    painter.setClipRect(area.adjusted(-4, -4, 4, 4));
    painter.setRenderHint(QPainter::Antialiasing, true);
    for (const auto &series : m_series) {
        QPolygonF line;
        line.reserve(qsizetype(series.points.size()));
        for (const auto &point : series.points)
            line << toPixel(area, point.x(), point.y());
        QPen pen(series.colour, 2.0);
        pen.setJoinStyle(Qt::RoundJoin);
        pen.setCapStyle(Qt::RoundCap);
        painter.setPen(pen);
        painter.drawPolyline(line);
        if (series.points.size() <= kMarkersUpTo) {
            painter.setBrush(series.colour);
            painter.setPen(QPen(palette().base().color(), 1.0));
            for (const auto &pixel : line)
                painter.drawEllipse(pixel, 3.5, 3.5);
            painter.setBrush(Qt::NoBrush);
        }
    }
    painter.restore();
}

void ClassAccuracyView::paintLegend(QPainter &painter, const QRect &area) const
{
    const QFontMetrics fm(font());
    const int left = area.right() + 14;
    const int w = width() - kMargin - left;
    const int row = fm.height() + 4;
    const int fit = std::max(1, (area.height() + fm.height()) / row);
    const bool more = int(m_series.size()) > fit;
    const int shown = more ? fit - 1 : int(m_series.size());
    const int valueWidth = fm.horizontalAdvance("0.000");
    for (int i = 0; i < shown; ++i) {
        const auto &series = m_series[std::size_t(i)];
        const int y = area.top() + i * row;
        painter.setRenderHint(QPainter::Antialiasing, true);
        painter.setPen(QPen(series.colour, 3.0, Qt::SolidLine, Qt::RoundCap));
        painter.drawLine(QPointF(left + 2, y + row / 2.0),
                         QPointF(left + kSwatch - 2, y + row / 2.0));
        painter.setRenderHint(QPainter::Antialiasing, false);
        painter.setPen(palette().windowText().color());
        const int nameLeft = left + kSwatch + 6;
        const int nameWidth = w - kSwatch - 6 - valueWidth - 10;
        painter.drawText(QRect(nameLeft, y, nameWidth, row), Qt::AlignLeft | Qt::AlignVCenter,
                         fm.elidedText(series.name, Qt::ElideRight, nameWidth));
        if (!series.points.empty())
            painter.drawText(QRect(left + w - valueWidth, y, valueWidth, row),
                             Qt::AlignRight | Qt::AlignVCenter,
                             valueText(series.points.back().y()));
    }
    if (more) {
        painter.setPen(palette().placeholderText().color());
        painter.drawText(QRect(left, area.top() + shown * row, w, row),
                         Qt::AlignLeft | Qt::AlignVCenter,
                         tr("+%1 more classes").arg(int(m_series.size()) - shown));
    }
}

void ClassAccuracyView::paintHover(QPainter &painter, const QRect &area) const
{
    if (m_hoverStep < 0)
        return;
    const QFontMetrics fm(font());
    const double x = toPixel(area, m_hoverStep, 0).x();
    painter.setPen(QPen(faded(palette().text().color(), 110), 1, Qt::DotLine));
    painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));

    QStringList lines{tr("step %1").arg(QLocale().toString(qlonglong(m_hoverStep)))};
    std::vector<QColor> colours{QColor()};
    for (const auto &series : m_series) {
        auto it = std::find_if(series.points.begin(), series.points.end(),
                               [this](const QPointF &p) { return p.x() == m_hoverStep; });
        if (it == series.points.end())
            continue;
        lines << QString("%1  %2").arg(valueText(it->y()), series.name);
        colours.push_back(series.colour);
    }
    const int row = fm.height() + 2;
    const int maxRows = std::max(1, (area.height() - 8) / row);
    if (lines.size() > maxRows)
        lines = lines.mid(0, maxRows);
    int textWidth = 0;
    for (const auto &line : lines)
        textWidth = std::max(textWidth, fm.horizontalAdvance(line));
    QRect box(0, area.top() + 6, kSwatch + textWidth + 16, int(lines.size()) * row + 8);
    box.moveLeft(x + 10 + box.width() < area.right() ? int(x) + 10 : int(x) - 10 - box.width());
    painter.setPen(faded(palette().text().color(), 80));
    painter.setBrush(faded(palette().toolTipBase().color(), 235));
    painter.drawRect(box);
    painter.setBrush(Qt::NoBrush);
    for (int i = 0; i < int(lines.size()); ++i) {
        const int y = box.top() + 4 + i * row;
        if (colours[std::size_t(i)].isValid())
            painter.fillRect(QRect(box.left() + 6, y + row / 2 - 2, kSwatch - 6, 4),
                             colours[std::size_t(i)]);
        painter.setPen(palette().toolTipText().color());
        painter.drawText(QRect(box.left() + 6 + kSwatch, y, textWidth + 4, row),
                         Qt::AlignLeft | Qt::AlignVCenter, lines[i]);
    }
}

} // namespace class_accuracy
