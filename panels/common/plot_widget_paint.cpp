// PlotWidget: painting (state and input are in plot_widget.cpp).
#include "panels/common/plot_widget.h"
#include "panels/common/run_colour.h"

#include "panels/common/plot_axis.h"
#include "panels/common/plot_widget_clip.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <limits>

namespace lathe::panels {

namespace {

constexpr int kLegendRows = 8;
constexpr int kHoverRows = 10;
// A series with fewer visible points than this gets a marker on each (a short validation
// series would otherwise be a dot or two nobody sees).
constexpr double kMarkerRadius = 2.5;

// The index of the point of `points` (sorted by x) nearest to x; -1 when empty.
qsizetype nearestIndex(const std::vector<track::SeriesPoint> &points, double x)
{
    if (points.empty())
        return -1;
    auto it = std::lower_bound(points.begin(), points.end(), x,
                               [](const auto &p, double v) { return p.x < v; });
    if (it == points.end())
        return qsizetype(points.size()) - 1;
    if (it != points.begin() && x - (it - 1)->x < it->x - x)
        --it;
    return it - points.begin();
}

// True when the segment a-b passes through `r`.
bool crosses(const QRectF &r, const QPointF &a, const QPointF &b)
{
    if (r.contains(a) || r.contains(b))
        return true;
    if (!r.intersects(QRectF(a, b).normalized().adjusted(-0.5, -0.5, 0.5, 0.5)))
        return false; // the common case, decided cheaply
    const QLineF segment(a, b);
    const QLineF edges[] = {{r.topLeft(), r.topRight()},
                            {r.topRight(), r.bottomRight()},
                            {r.bottomRight(), r.bottomLeft()},
                            {r.bottomLeft(), r.topLeft()}};
    return std::any_of(std::begin(edges), std::end(edges), [&](const QLineF &edge) {
        return segment.intersects(edge, nullptr) == QLineF::BoundedIntersection;
    });
}

// How much of the drawn lines a legend at `box` would hide: the segments under it, and far
// more for a line's end (where a curve stands now), so that no corner covering one wins.
int coverage(const QRectF &box, const std::vector<QPolygonF> &lines)
{
    const QRectF area = box.adjusted(-4, -4, 4, 4);
    int score = 0;
    for (const auto &line : lines) {
        if (line.isEmpty() || !area.intersects(line.boundingRect().adjusted(-1, -1, 1, 1)))
            continue;
        score += (area.contains(line.front()) + area.contains(line.back())) * 1000;
        for (qsizetype i = 1; i < line.size(); ++i)
            score += crosses(area, line[i - 1], line[i]) ? 1 : 0;
        score += line.size() == 1 && area.contains(line.front()) ? 1 : 0;
    }
    return score;
}

} // namespace

void PlotWidget::paintEvent(QPaintEvent *)
{
    const qreal dpr = devicePixelRatioF();
    if (m_cache.isNull() || m_cache.size() != size() * dpr) {
        m_cache = QPixmap(size() * dpr);
        m_cache.setDevicePixelRatio(dpr);
        QPainter p(&m_cache);
        renderPlot(p);
    }
    QPainter painter(this);
    painter.drawPixmap(0, 0, m_cache);
    drawSelection(painter);
    drawHover(painter);
}

void PlotWidget::renderPlot(QPainter &painter)
{
    painter.fillRect(rect(), palette().window());
    const QRect area = plotRect();
    painter.fillRect(area, palette().base());
    if (!m_title.isEmpty()) {
        QFont bold = font();
        bold.setBold(true);
        painter.setFont(bold);
        painter.setPen(palette().windowText().color());
        painter.drawText(QRect(area.left(), 2, area.width(), area.top() - 4),
                         Qt::AlignLeft | Qt::AlignVCenter, m_title);
        painter.setFont(font());
    }
    const bool empty = std::all_of(m_series.begin(), m_series.end(),
                                   [](const auto &s) { return s.points.empty(); });
    if (empty) {
        m_drawnPoints = 0;
        m_markedPoints = 0;
        m_legendRect = {};
        painter.setPen(palette().placeholderText().color());
        painter.drawText(area.adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap,
                         m_emptyText.isEmpty() ? tr("No data") : m_emptyText);
        painter.setPen(palette().mid().color());
        painter.drawRect(area.adjusted(0, 0, -1, -1));
        return;
    }
    const View view = computeView();
    drawAxes(painter, view);
    painter.save();
    painter.setClipRect(area);
    drawMarkers(painter, view);
    drawBands(painter, view);
    std::vector<QPolygonF> lines;
    drawSeries(painter, view, lines);
    painter.restore();
    painter.setPen(palette().mid().color());
    painter.drawRect(area.adjusted(0, 0, -1, -1));
    m_legendRect = {};
    if (m_legend)
        drawLegend(painter, view.rect, lines);
}

void PlotWidget::drawSeries(QPainter &painter, const View &view, std::vector<QPolygonF> &lines)
{
    m_markedPoints = 0;
    QPolygonF line;
    // Faint lines first, so that the lines they accompany are drawn over them.
    for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t s = 0; s < m_series.size(); ++s) {
            const PlotSeries &series = m_series[s];
            if (series.faint != (pass == 0))
                continue;
            if (series.scatter) {
                drawPointMarkers(painter, view, s);
                continue;
            }
            // A cosmetic pen of width 1 takes QPainter's fast line path; wider pens are
            // stroked as filled outlines, ~50x slower on dense min/max envelopes.
            QPen pen(series.faint ? faded(series.color, 70) : series.color, 1.0);
            pen.setCosmetic(true);
            if (series.dashed)
                pen.setStyle(Qt::DashLine);
            painter.setPen(pen);
            const auto &points = view.slices[s].points;
            // Antialiasing smooths sparse lines; a dense envelope gains nothing from it.
            painter.setRenderHint(QPainter::Antialiasing,
                                  qsizetype(points.size()) < view.rect.width() && !series.faint);
            const LodSlice &slice = view.slices[s];
            const bool marked = !series.faint && slice.viewEnd - slice.viewBegin < kMarkedBelow;
            line.clear();
            line.reserve(qsizetype(points.size()));
            auto flush = [&] {
                clampEnds(line, view.rect.left() - 2, view.rect.right() + 2);
                if (line.size() == 1)
                    painter.drawPoint(line[0]);
                else if (line.size() > 1)
                    painter.drawPolyline(line);
                if (!series.faint && !line.isEmpty())
                    lines.push_back(line);
                line.clear();
            };
            for (const auto &p : points) {
                if (!drawableY(p.y, m_logY) || !std::isfinite(toAxisX(p.x))) {
                    flush();
                    continue;
                }
                const double u = m_logY ? std::log10(p.y) : p.y;
                line.append(QPointF(view.px(toAxisX(p.x)), view.py(u)));
            }
            flush();
            if (marked)
                drawPointMarkers(painter, view, s);
        }
    }
    painter.setRenderHint(QPainter::Antialiasing, false);
}

void PlotWidget::drawPointMarkers(QPainter &painter, const View &view, std::size_t s)
{
    const LodSlice &slice = view.slices[s];
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setPen(QPen(palette().base().color(), 1.0));
    painter.setBrush(m_series[s].color);
    for (std::size_t i = slice.viewBegin; i < slice.viewEnd; ++i) {
        const auto &p = slice.points[i];
        if (!drawableY(p.y, m_logY) || !std::isfinite(toAxisX(p.x)))
            continue;
        const double u = m_logY ? std::log10(p.y) : p.y;
        painter.drawEllipse(QPointF(view.px(toAxisX(p.x)), view.py(u)), kMarkerRadius,
                            kMarkerRadius);
        ++m_markedPoints;
    }
    painter.setBrush(Qt::NoBrush);
}

void PlotWidget::drawAxes(QPainter &painter, const View &view)
{
    const QRectF r = view.rect;
    const QFontMetrics fm(font());
    const QColor grid = faded(palette().text().color(), 28);
    const QColor text = palette().windowText().color();
    const auto xTicks = m_logX ? logTicks(view.t0, view.t1, std::max(2, int(r.width() / 110)))
                               : niceTicks(view.t0, view.t1, std::max(2, int(r.width() / 110)));
    const double xStep = xTicks.size() > 1 ? fromAxisX(xTicks[1]) - fromAxisX(xTicks[0]) : 0;
    for (double t : xTicks) {
        const double x = view.px(t);
        painter.setPen(grid);
        painter.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()));
        painter.setPen(text);
        const QString label = formatX(fromAxisX(t), m_logX ? 0 : xStep);
        const int w = fm.horizontalAdvance(label);
        const double lx = std::clamp(x - w / 2.0, 0.0, double(width() - w));
        painter.drawText(QPointF(lx, r.bottom() + 4 + fm.ascent()), label);
    }
    const auto yTicks = m_logY ? logTicks(view.y0, view.y1, std::max(2, int(r.height() / 45)))
                               : niceTicks(view.y0, view.y1, std::max(2, int(r.height() / 45)));
    const double yStep = yTicks.size() > 1 ? yTicks[1] - yTicks[0] : 0;
    for (double u : yTicks) {
        const double y = view.py(u);
        painter.setPen(grid);
        painter.drawLine(QPointF(r.left(), y), QPointF(r.right(), y));
        painter.setPen(text);
        const QString label = m_logY ? formatTick(std::pow(10.0, u)) : formatTick(u, yStep);
        painter.drawText(QRectF(0, y - fm.height() / 2.0, r.left() - 5, fm.height()),
                         Qt::AlignRight | Qt::AlignVCenter, label);
    }
    painter.setPen(text);
    if (!m_xTitle.isEmpty())
        painter.drawText(QRectF(r.left(), height() - fm.height() - 3, r.width(), fm.height()),
                         Qt::AlignCenter, m_xTitle);
    if (!m_yTitle.isEmpty()) {
        painter.save();
        painter.translate(3, r.center().y());
        painter.rotate(-90);
        painter.drawText(QRectF(-r.height() / 2, 0, r.height(), fm.height()), Qt::AlignCenter,
                         m_yTitle);
        painter.restore();
    }
}

void PlotWidget::drawMarkers(QPainter &painter, const View &view)
{
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    painter.setFont(small);
    const QFontMetrics fm(small);
    std::vector<QRectF> labels;
    for (const auto &m : m_markers) {
        const double t = toAxisX(m.x);
        if (!std::isfinite(t) || t < view.t0 || t > view.t1)
            continue;
        const double x = view.px(t);
        QPen pen(faded(m.color, 200), 1, Qt::DashLine);
        painter.setPen(pen);
        painter.drawLine(QPointF(x, view.rect.top()), QPointF(x, view.rect.bottom()));
        if (m.label.isEmpty())
            continue;
        QRectF box(x + 3, view.rect.top() + 2, fm.horizontalAdvance(m.label) + 6, fm.height());
        if (box.right() > view.rect.right())
            box.moveRight(x - 3);
        // Stack labels that would overlap an earlier one.
        for (int row = 0; row < 6; ++row) {
            const bool clash = std::any_of(labels.begin(), labels.end(),
                                           [&](const QRectF &o) { return o.intersects(box); });
            if (!clash)
                break;
            box.translate(0, fm.height() + 1);
        }
        labels.push_back(box);
        painter.fillRect(box, faded(palette().base().color(), 220));
        painter.setPen(m.color);
        painter.drawText(box, Qt::AlignCenter, m.label);
    }
    painter.setFont(font());
}

void PlotWidget::drawLegend(QPainter &painter, const QRectF &area,
                            const std::vector<QPolygonF> &lines)
{
    std::vector<const PlotSeries *> shown;
    for (const auto &s : m_series)
        if (!s.faint && !s.name.isEmpty())
            shown.push_back(&s);
    if (shown.empty())
        return;
    const QFontMetrics fm(font());
    const int rows = std::min<int>(int(shown.size()), kLegendRows);
    const bool more = int(shown.size()) > rows;
    int textWidth = 0;
    for (int i = 0; i < rows; ++i)
        textWidth = std::max(textWidth, fm.horizontalAdvance(shown[i]->name));
    const QString moreText = tr("+%1 more").arg(shown.size() - rows);
    if (more)
        textWidth = std::max(textWidth, fm.horizontalAdvance(moreText));
    const int lineH = fm.height();
    const QSizeF size(textWidth + 34, lineH * (rows + (more ? 1 : 0)) + 6);
    // The corner hiding the least of the lines, top right on a tie.
    const QRectF inner = area.adjusted(6, 6, -6, -6);
    QRectF box;
    int least = std::numeric_limits<int>::max();
    for (const QPointF &corner :
         {inner.topRight(), inner.topLeft(), inner.bottomRight(), inner.bottomLeft()}) {
        QRectF candidate(QPointF(), size);
        candidate.moveTo(corner.x() == inner.right() ? corner.x() - size.width() : corner.x(),
                         corner.y() == inner.bottom() ? corner.y() - size.height() : corner.y());
        const int score = coverage(candidate, lines);
        if (score < least) {
            least = score;
            box = candidate;
        }
    }
    m_legendRect = box;
    painter.fillRect(box, faded(palette().base().color(), 215));
    painter.setPen(faded(palette().text().color(), 60));
    painter.drawRect(box);
    for (int i = 0; i < rows; ++i) {
        const double y = box.top() + 3 + i * lineH + lineH / 2.0;
        QPen pen(shown[i]->color, 2, shown[i]->dashed ? Qt::DashLine : Qt::SolidLine);
        painter.setPen(pen);
        painter.drawLine(QPointF(box.left() + 5, y), QPointF(box.left() + 23, y));
        painter.setPen(palette().text().color());
        painter.drawText(QPointF(box.left() + 28, y - lineH / 2.0 + fm.ascent()), shown[i]->name);
    }
    if (more)
        painter.drawText(QPointF(box.left() + 28, box.top() + 3 + rows * lineH + fm.ascent()),
                         moreText);
}

void PlotWidget::drawSelection(QPainter &painter)
{
    if (!m_selecting || !m_pressAt || !m_dragAt)
        return;
    const QRect r = plotRect();
    const int a = std::min(m_pressAt->x(), m_dragAt->x());
    const int b = std::max(m_pressAt->x(), m_dragAt->x());
    QColor fill = palette().highlight().color();
    fill.setAlpha(50);
    painter.fillRect(QRect(a, r.top(), b - a, r.height()), fill);
}

void PlotWidget::drawHover(QPainter &painter)
{
    m_hoverText.clear();
    if (!m_hover || m_pressAt || m_series.empty())
        return;
    const QRect r = plotRect();
    const auto [t0, t1] = axisXRange();
    const double x = fromAxisX(pixelToAxisX(m_hover->x()));
    const auto toPx = [&](const track::SeriesPoint &p) {
        const double u = m_logY ? std::log10(p.y) : p.y;
        return QPointF(r.left() + (toAxisX(p.x) - t0) / (t1 - t0) * r.width(),
                       r.bottom() - (u - m_y0) / (m_y1 - m_y0) * r.height());
    };
    struct Row
    {
        const PlotSeries *series;
        track::SeriesPoint point;
        QPointF at;
        double raw;
        std::size_t index;
    };
    std::vector<Row> rows;
    for (const auto &s : m_series) {
        const qsizetype i = nearestIndex(s.points, x);
        if (i < 0 || s.faint || !std::isfinite(s.points[i].y)) // faint, or a gap
            continue;
        rows.push_back({&s, s.points[i], toPx(s.points[i]), std::nan(""), std::size_t(i)});
    }
    for (const auto &s : m_series) { // raw values under smoothed lines
        const qsizetype i = nearestIndex(s.points, x);
        for (auto &row : rows)
            if (s.faint && i >= 0 && row.series->name == s.name && s.points[i].x == row.point.x)
                row.raw = s.points[i].y;
    }
    if (rows.empty())
        return;
    std::sort(rows.begin(), rows.end(), [&](const Row &a, const Row &b) {
        return std::abs(a.at.y() - m_hover->y()) < std::abs(b.at.y() - m_hover->y());
    });
    rows.resize(std::min<std::size_t>(rows.size(), kHoverRows));
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setPen(QPen(faded(palette().text().color(), 90), 1, Qt::DotLine));
    painter.drawLine(QPointF(m_hover->x(), r.top()), QPointF(m_hover->x(), r.bottom()));
    // The header is the x of the sample nearest to the cursor; other rows say where theirs is.
    const auto byX = [&](const Row &a, const Row &b) {
        return std::abs(a.point.x - x) < std::abs(b.point.x - x);
    };
    const double headerX = std::min_element(rows.begin(), rows.end(), byX)->point.x;
    QStringList lines{formatX(headerX, 0)};
    for (const auto &row : rows) {
        QString line
            = row.series->name + QStringLiteral(": ")
              + (row.series->describe ? row.series->describe(row.index) : formatExact(row.point.y));
        if (!std::isnan(row.raw))
            line += tr(" (raw %1)").arg(formatExact(row.raw));
        if (row.point.x != headerX)
            line += tr(" at %1").arg(formatX(row.point.x, 0));
        lines << line;
        if (r.contains(row.at.toPoint())) {
            painter.setPen(QPen(palette().base().color(), 1.5));
            painter.setBrush(row.series->color);
            painter.drawEllipse(row.at, 3.5, 3.5);
        }
    }
    m_hoverText = lines;
    const QFontMetrics fm(font());
    int w = 0;
    for (const auto &line : lines)
        w = std::max(w, fm.horizontalAdvance(line));
    QRectF box(m_hover->x() + 14, r.top() + 6, w + 26, fm.height() * lines.size() + 8);
    if (box.right() > r.right())
        box.moveRight(m_hover->x() - 14);
    if (box.left() < 0)
        box.moveLeft(0);
    painter.setPen(faded(palette().text().color(), 80));
    painter.setBrush(faded(palette().toolTipBase().color(), 235));
    painter.drawRoundedRect(box, 3, 3);
    for (int i = 0; i < lines.size(); ++i) {
        const double y = box.top() + 4 + i * fm.height();
        if (i > 0) {
            painter.setPen(Qt::NoPen);
            painter.setBrush(rows[i - 1].series->color);
            painter.drawRect(QRectF(box.left() + 6, y + fm.height() / 2.0 - 4, 8, 8));
        }
        painter.setPen(palette().toolTipText().color());
        painter.drawText(QPointF(box.left() + (i > 0 ? 20 : 6), y + fm.ascent()), lines[i]);
    }
}

} // namespace lathe::panels
