// PlotWidget: state, view computation and mouse handling (painting is in plot_widget_paint.cpp).
#include "panels/common/plot_widget.h"

#include "panels/common/plot_axis.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <limits>

namespace lathe::panels {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Widens an empty or degenerate range so that it can be drawn.
std::pair<double, double> padRange(double lo, double hi, double fraction)
{
    if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
        return {0, 1};
    if (hi == lo) {
        const double pad = lo == 0 ? 0.5 : std::abs(lo) * 0.05;
        return {lo - pad, hi + pad};
    }
    const double pad = (hi - lo) * fraction;
    return {lo - pad, hi + pad};
}

} // namespace

PlotWidget::PlotWidget(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setFocusPolicy(Qt::ClickFocus);
    setCursor(Qt::CrossCursor);
}

void PlotWidget::setSeries(std::vector<PlotSeries> series)
{
    m_series = std::move(series);
    invalidate();
}

void PlotWidget::setMarkers(std::vector<PlotMarker> markers)
{
    m_markers = std::move(markers);
    invalidate();
}

void PlotWidget::setTitle(const QString &title)
{
    m_title = title;
    invalidate();
}

void PlotWidget::setAxisTitles(const QString &x, const QString &y)
{
    m_xTitle = x;
    m_yTitle = y;
    invalidate();
}

void PlotWidget::setLogY(bool on)
{
    if (m_logY == on)
        return;
    m_logY = on;
    invalidate();
}

void PlotWidget::setLogX(bool on)
{
    if (m_logX == on)
        return;
    m_logX = on;
    m_zoomed = false; // the zoomed range was in the other axis units
    invalidate();
    Q_EMIT viewChanged();
}

void PlotWidget::setLegendVisible(bool on)
{
    m_legend = on;
    invalidate();
}

void PlotWidget::setXFormatter(std::function<QString(double)> format)
{
    m_xFormat = std::move(format);
    invalidate();
}

void PlotWidget::setEmptyText(const QString &text)
{
    m_emptyText = text;
    invalidate();
}

std::pair<double, double> PlotWidget::xRange() const
{
    const auto [t0, t1] = axisXRange();
    return {fromAxisX(t0), fromAxisX(t1)};
}

void PlotWidget::setXRange(double lo, double hi)
{
    if (m_logX && (lo <= 0 || hi <= 0))
        return;
    setAxisRange(toAxisX(lo), toAxisX(hi));
}

void PlotWidget::resetView()
{
    m_zoomed = false;
    invalidate();
    Q_EMIT viewChanged();
}

std::pair<double, double> PlotWidget::yRange() const
{
    if (m_logY)
        return {std::pow(10.0, m_y0), std::pow(10.0, m_y1)};
    return {m_y0, m_y1};
}

QRect PlotWidget::plotRect() const
{
    const QFontMetrics fm(font());
    const int left = fm.horizontalAdvance(QStringLiteral("-0.0000")) + 10
                     + (m_yTitle.isEmpty() ? 0 : fm.height() + 4);
    const int top = m_title.isEmpty() ? 10 : fm.height() + 12;
    const int bottom = fm.height() + 10 + (m_xTitle.isEmpty() ? 0 : fm.height() + 2);
    const int right = 16;
    return QRect(left, top, std::max(10, width() - left - right),
                 std::max(10, height() - top - bottom));
}

double PlotWidget::toAxisX(double x) const
{
    return m_logX ? (x > 0 ? std::log10(x) : std::numeric_limits<double>::quiet_NaN()) : x;
}

double PlotWidget::fromAxisX(double t) const
{
    return m_logX ? std::pow(10.0, t) : t;
}

QString PlotWidget::formatX(double x, double step) const
{
    if (m_xFormat)
        return m_xFormat(x);
    return step > 0 ? formatTick(x, step) : formatExact(x);
}

std::pair<double, double> PlotWidget::axisXRange() const
{
    if (m_zoomed)
        return {m_t0, m_t1};
    double lo = kInf;
    double hi = -kInf;
    bool allShort = true;
    for (const auto &s : m_series) {
        if (s.points.empty())
            continue;
        allShort = allShort && s.points.size() < kMarkedBelow;
        auto first = s.points.begin();
        if (m_logX) {
            first = std::upper_bound(s.points.begin(), s.points.end(), 0.0,
                                     [](double x, const auto &p) { return x < p.x; });
            if (first == s.points.end())
                continue;
        }
        lo = std::min(lo, toAxisX(first->x));
        hi = std::max(hi, toAxisX(s.points.back().x));
    }
    if (lo > hi)
        return {0, 1};
    // Markers on the first and last points of short series are drawn whole.
    return padRange(lo, hi, allShort ? 0.03 : 0.0);
}

double PlotWidget::pixelToAxisX(double px) const
{
    const QRect r = plotRect();
    const auto [t0, t1] = axisXRange();
    return t0 + (px - r.left()) / std::max(1, r.width()) * (t1 - t0);
}

void PlotWidget::setAxisRange(double t0, double t1)
{
    if (!std::isfinite(t0) || !std::isfinite(t1) || !(t1 > t0))
        return;
    // Keep a span that doubles can still divide into pixel columns.
    const double minSpan = std::max(std::abs(t0), std::abs(t1)) * 1e-12 + 1e-300;
    if (t1 - t0 < minSpan)
        return;
    m_zoomed = true;
    m_t0 = t0;
    m_t1 = t1;
    invalidate();
    Q_EMIT viewChanged();
}

PlotWidget::View PlotWidget::computeView()
{
    View view;
    view.rect = plotRect();
    std::tie(view.t0, view.t1) = axisXRange();
    const LodView lod{view.t0, view.t1, std::max(1, int(view.rect.width())), m_logX, m_logY};
    double lo = kInf, hi = -kInf;
    double outsideLo = kInf, outsideHi = -kInf;
    m_drawnPoints = 0;
    view.slices.reserve(m_series.size());
    for (const auto &s : m_series) {
        view.slices.push_back(reduceForView(s.points, lod));
        const LodSlice &slice = view.slices.back();
        for (std::size_t i = 0; i < slice.points.size(); ++i) {
            const double y = slice.points[i].y;
            if (!drawableY(y, m_logY))
                continue;
            const bool inside = i >= slice.viewBegin && i < slice.viewEnd;
            double &l = inside ? lo : outsideLo;
            double &h = inside ? hi : outsideHi;
            l = std::min(l, y);
            h = std::max(h, y);
            m_drawnPoints += inside ? 1 : 0;
        }
    }
    fitBands(view, lo, hi);
    if (lo > hi) { // nothing inside the view: fit the neighbours the lines come from
        lo = outsideLo;
        hi = outsideHi;
    }
    if (m_logY && lo <= hi) {
        lo = std::log10(lo);
        hi = std::log10(hi);
    }
    std::tie(view.y0, view.y1) = lo <= hi ? padRange(lo, hi, 0.05) : std::pair{0.0, 1.0};
    m_y0 = view.y0;
    m_y1 = view.y1;
    return view;
}

void PlotWidget::invalidate()
{
    m_cache = QPixmap();
    update();
}

void PlotWidget::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    m_cache = QPixmap();
}

void PlotWidget::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange)
        invalidate();
}

void PlotWidget::wheelEvent(QWheelEvent *event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0) {
        event->ignore();
        return;
    }
    const QRect r = plotRect();
    const double px = std::clamp(event->position().x(), double(r.left()), double(r.right()));
    const double anchor = pixelToAxisX(px);
    const auto [t0, t1] = axisXRange();
    const double factor = std::pow(0.8, steps);
    setAxisRange(anchor - (anchor - t0) * factor, anchor + (t1 - anchor) * factor);
    event->accept();
}

void PlotWidget::mousePressEvent(QMouseEvent *event)
{
    m_pressAt = event->position().toPoint();
    m_dragAt = m_pressAt;
    m_selecting
        = event->button() == Qt::RightButton
          || (event->button() == Qt::LeftButton && event->modifiers().testFlag(Qt::ShiftModifier));
    std::tie(m_pressT0, m_pressT1) = axisXRange();
    if (!m_selecting && event->button() == Qt::LeftButton)
        setCursor(Qt::ClosedHandCursor);
    event->accept();
}

void PlotWidget::mouseMoveEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    m_hover = plotRect().contains(pos) ? std::optional(pos) : std::nullopt;
    if (m_pressAt && m_selecting) {
        m_dragAt = pos;
    } else if (m_pressAt && event->buttons().testFlag(Qt::LeftButton)) {
        const double shift = -(pos.x() - m_pressAt->x()) / double(std::max(1, plotRect().width()))
                             * (m_pressT1 - m_pressT0);
        if (pos != *m_pressAt)
            setAxisRange(m_pressT0 + shift, m_pressT1 + shift);
    }
    update();
}

void PlotWidget::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_pressAt && m_selecting && m_dragAt && std::abs(m_dragAt->x() - m_pressAt->x()) > 3) {
        const double a = pixelToAxisX(std::min(m_pressAt->x(), m_dragAt->x()));
        const double b = pixelToAxisX(std::max(m_pressAt->x(), m_dragAt->x()));
        setAxisRange(a, b);
    }
    m_pressAt.reset();
    m_dragAt.reset();
    m_selecting = false;
    setCursor(Qt::CrossCursor);
    update();
    event->accept();
}

void PlotWidget::mouseDoubleClickEvent(QMouseEvent *event)
{
    resetView();
    event->accept();
}

void PlotWidget::leaveEvent(QEvent *event)
{
    m_hover.reset();
    update();
    QWidget::leaveEvent(event);
}

} // namespace lathe::panels
