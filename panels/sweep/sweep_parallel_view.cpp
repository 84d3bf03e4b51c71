#include "panels/sweep/sweep_parallel_view.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace lathe::panels {

namespace {

// Pale blue (worst) to dark red (best).
QColor heat(double t)
{
    const QColor a(0x9e, 0xca, 0xe1);
    const QColor b(0xb2, 0x18, 0x2b);
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(float(a.redF() + t * (b.redF() - a.redF())),
                            float(a.greenF() + t * (b.greenF() - a.greenF())),
                            float(a.blueF() + t * (b.blueF() - a.blueF())));
}

QString tick(double value)
{
    return QString::number(value, 'g', 3);
}

} // namespace

SweepParallelView::SweepParallelView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName("sweepParallel");
}

void SweepParallelView::setData(std::vector<SweepAxis> axes, std::vector<TrialItem> trials,
                                QString metric, bool maximize)
{
    m_axes = std::move(axes);
    m_trials = std::move(trials);
    m_metric = std::move(metric);
    m_maximize = maximize;
    update();
}

std::vector<SweepParallelView::Scale> SweepParallelView::scales() const
{
    std::vector<Scale> out;
    for (const auto &axis : m_axes) {
        Scale scale;
        if (axis.kind == sweep::Kind::Choice) {
            scale.hi = std::max(1.0, double(axis.choices.size() - 1));
            scale.categories = axis.choices;
        } else {
            scale.log = axis.kind == sweep::Kind::LogUniform && axis.low > 0;
            scale.lo = scale.log ? std::log10(axis.low) : axis.low;
            scale.hi = scale.log ? std::log10(axis.high) : axis.high;
        }
        out.push_back(scale);
    }
    Scale objective{std::numeric_limits<double>::infinity(),
                    -std::numeric_limits<double>::infinity(),
                    false,
                    {}};
    for (const auto &trial : m_trials)
        if (trial.hasCompletedValue()) {
            objective.lo = std::min(objective.lo, *trial.value);
            objective.hi = std::max(objective.hi, *trial.value);
        }
    if (objective.lo > objective.hi)
        objective = {0, 1, false, {}};
    out.push_back(objective);
    return out;
}

double SweepParallelView::yOf(const Scale &scale, double value, const QRect &plot) const
{
    if (!std::isfinite(value) || (scale.log && value <= 0))
        return std::numeric_limits<double>::quiet_NaN();
    const double v = scale.log ? std::log10(value) : value;
    if (scale.hi <= scale.lo)
        return plot.center().y();
    // Categories sit between the ends, not on them, so their labels stay readable.
    if (!scale.categories.isEmpty()) {
        const double cells = double(scale.categories.size());
        return plot.bottom() - (v + 0.5) / cells * plot.height();
    }
    return plot.bottom() - (v - scale.lo) / (scale.hi - scale.lo) * plot.height();
}

void SweepParallelView::paintAxis(QPainter &painter, const Scale &scale, const QString &name, int x,
                                  const QRect &plot, int spacing) const
{
    const QFontMetrics fm(font());
    painter.setPen(palette().windowText().color());
    painter.drawLine(x, plot.top(), x, plot.bottom());
    // The first and last axes' names may reach into the margins, not past the widget.
    const int width = std::max(40, std::min(spacing - 6, 2 * plot.left() - 4));
    painter.drawText(QRect(x - width / 2, 2, width, fm.height()), Qt::AlignCenter,
                     fm.elidedText(name, Qt::ElideMiddle, width));
    painter.setPen(palette().placeholderText().color());
    if (!scale.categories.isEmpty()) {
        // On a backing of the base colour: the lines meet exactly there.
        QColor backing = palette().base().color();
        backing.setAlpha(220);
        const int labelWidth = std::max(30, spacing - 12);
        for (qsizetype i = 0; i < scale.categories.size(); ++i) {
            const int y = int(yOf(scale, double(i), plot));
            const QString text = fm.elidedText(scale.categories[i], Qt::ElideRight, labelWidth);
            const QRect box(x + 4, y - fm.height() / 2, fm.horizontalAdvance(text) + 4,
                            fm.height());
            painter.fillRect(box, backing);
            painter.setPen(palette().windowText().color());
            painter.drawText(box.adjusted(2, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, text);
        }
        return;
    }
    const auto label = [&](double at) { return tick(scale.log ? std::pow(10.0, at) : at); };
    painter.drawText(QRect(x - width / 2, plot.top() - fm.height() - 2, width, fm.height()),
                     Qt::AlignCenter, label(scale.hi));
    painter.drawText(QRect(x - width / 2, plot.bottom() + 2, width, fm.height()), Qt::AlignCenter,
                     label(scale.lo));
}

SweepParallelView::Layout SweepParallelView::layout() const
{
    const QFontMetrics fm(font());
    Layout at;
    at.count = int(m_axes.size()) + 1;
    // Margins of half an axis name's room, between 36 and 90 px.
    const int margin = std::clamp(width() / (2 * at.count), 36, 90);
    at.plot = rect().adjusted(margin, 2 * fm.height() + 8, -margin, -fm.height() - 8);
    at.spacing = at.plot.width() / (at.count - 1);
    return at;
}

double SweepParallelView::valueOn(const TrialItem &trial, int axis) const
{
    if (std::size_t(axis) < m_axes.size())
        return std::size_t(axis) < trial.coords.size() ? trial.coords[std::size_t(axis)]
                                                       : std::numeric_limits<double>::quiet_NaN();
    return trial.hasCompletedValue() ? *trial.value : std::numeric_limits<double>::quiet_NaN();
}

bool SweepParallelView::inBrushes(const TrialItem &trial, const std::vector<Scale> &axisScales,
                                  const QRect &plot) const
{
    for (const auto &[axis, range] : m_brushes) {
        const double y = yOf(axisScales[std::size_t(axis)], valueOn(trial, axis), plot);
        if (std::isnan(y))
            return false;
        const double at = (plot.bottom() - y) / std::max(1, plot.height());
        if (at < range.first - 1e-9 || at > range.second + 1e-9)
            return false;
    }
    return true;
}

QList<qint64> SweepParallelView::brushedRuns() const
{
    QList<qint64> runs;
    if (m_brushes.empty())
        return runs;
    const auto axisScales = scales();
    const QRect plot = layout().plot;
    for (const auto &trial : m_trials)
        if (trial.runId != 0 && inBrushes(trial, axisScales, plot))
            runs << trial.runId;
    return runs;
}

QPoint SweepParallelView::axisPoint(int axis, double fraction) const
{
    const Layout at = layout();
    return {at.plot.left() + axis * at.spacing,
            int(std::lround(at.plot.bottom() - fraction * at.plot.height()))};
}

void SweepParallelView::clearBrushes()
{
    if (m_brushes.empty())
        return;
    m_brushes.clear();
    update();
    Q_EMIT brushed({});
}

int SweepParallelView::axisAt(const QPoint &pos) const
{
    const Layout at = layout();
    if (m_axes.empty() || pos.y() < at.plot.top() - 6 || pos.y() > at.plot.bottom() + 6)
        return -1;
    const int axis = int(std::lround(double(pos.x() - at.plot.left()) / at.spacing));
    if (axis < 0 || axis >= at.count)
        return -1;
    return std::abs(pos.x() - (at.plot.left() + axis * at.spacing)) <= 10 ? axis : -1;
}

void SweepParallelView::mousePressEvent(QMouseEvent *event)
{
    m_dragAxis = event->button() == Qt::LeftButton ? axisAt(event->position().toPoint()) : -1;
    m_dragFrom = event->position().y();
    if (m_dragAxis < 0)
        QWidget::mousePressEvent(event);
}

void SweepParallelView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_dragAxis < 0)
        return;
    const QRect plot = layout().plot;
    const auto fraction = [&](double y) {
        return std::clamp((plot.bottom() - y) / std::max(1, plot.height()), 0.0, 1.0);
    };
    const double a = fraction(m_dragFrom);
    const double b = fraction(event->position().y());
    m_brushes[m_dragAxis] = {std::min(a, b), std::max(a, b)};
    update();
}

void SweepParallelView::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_dragAxis < 0)
        return;
    // A click without a drag on an axis takes its brush away.
    if (std::abs(event->position().y() - m_dragFrom) < 3)
        m_brushes.erase(m_dragAxis);
    m_dragAxis = -1;
    update();
    Q_EMIT brushed(brushedRuns());
}

void SweepParallelView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    m_drawnLines = 0;
    if (m_axes.empty() || m_trials.empty()) {
        painter.setPen(palette().placeholderText().color());
        painter.drawText(rect(), Qt::AlignCenter, tr("No trials yet"));
        return;
    }
    const auto axisScales = scales();
    const Layout at = layout();
    const QRect plot = at.plot;
    const auto xOf = [&](int axis) { return plot.left() + axis * at.spacing; };

    // Others first (grey), then completed trials from the worst to the best; with a brush,
    // the trials outside it are grey too.
    const Scale &objective = axisScales.back();
    const auto goodness = [&](const TrialItem &t) {
        if (!t.hasCompletedValue())
            return -std::numeric_limits<double>::infinity();
        if (!m_brushes.empty() && !inBrushes(t, axisScales, plot))
            return -std::numeric_limits<double>::max();
        return m_maximize ? *t.value : -*t.value;
    };
    std::vector<std::pair<double, std::size_t>> order;
    order.reserve(m_trials.size());
    for (std::size_t i = 0; i < m_trials.size(); ++i)
        order.emplace_back(goodness(m_trials[i]), i);
    std::stable_sort(order.begin(), order.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    const QColor grey = palette().placeholderText().color();
    QPolygonF line;
    for (const auto &[rank, index] : order) {
        const TrialItem &trial = m_trials[index];
        const bool lit = trial.hasCompletedValue() && rank > -std::numeric_limits<double>::max();
        QColor colour = grey;
        if (lit && objective.hi > objective.lo) {
            const double t = (*trial.value - objective.lo) / (objective.hi - objective.lo);
            colour = heat(m_maximize ? t : 1.0 - t);
        } else if (lit) {
            colour = heat(1.0);
        } else {
            colour.setAlpha(90);
        }
        painter.setPen(QPen(colour, 1.0));
        line.clear();
        for (int axis = 0; axis < at.count; ++axis) {
            const double y = yOf(axisScales[std::size_t(axis)], valueOn(trial, axis), plot);
            if (std::isnan(y)) {
                if (line.size() > 1)
                    painter.drawPolyline(line);
                line.clear();
                continue;
            }
            line.append(QPointF(xOf(axis), y));
        }
        if (line.size() > 1)
            painter.drawPolyline(line);
        ++m_drawnLines;
    }
    for (int axis = 0; axis < at.count; ++axis) {
        const QString name = axis + 1 < at.count ? m_axes[std::size_t(axis)].key : m_metric;
        paintAxis(painter, axisScales[std::size_t(axis)], name, xOf(axis), plot, at.spacing);
    }
    QColor brush = palette().highlight().color();
    brush.setAlpha(70);
    for (const auto &[axis, range] : m_brushes) {
        const double top = plot.bottom() - range.second * plot.height();
        const double bottom = plot.bottom() - range.first * plot.height();
        painter.fillRect(QRectF(xOf(axis) - 7, top, 14, std::max(2.0, bottom - top)), brush);
    }
}

} // namespace lathe::panels
