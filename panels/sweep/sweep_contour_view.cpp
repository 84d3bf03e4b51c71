#include "panels/sweep/sweep_contour_view.h"

#include "panels/common/plot_axis.h"

#include <QPainter>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace lathe::panels {

namespace {

constexpr double kNoCoordinate = std::numeric_limits<double>::quiet_NaN();

// A completed trial on the plane: its place in axis fractions and its objective.
struct Sample
{
    double x = 0;
    double y = 0;
    double value = 0;
};

// Inverse-distance weighting (power 2) at (x, y); the mean of the samples exactly there, if any.
double interpolate(const std::vector<Sample> &samples, double x, double y)
{
    double weighted = 0, weights = 0, exact = 0;
    int exactCount = 0;
    for (const auto &s : samples) {
        const double d2 = (x - s.x) * (x - s.x) + (y - s.y) * (y - s.y);
        if (d2 < 1e-12) {
            exact += s.value;
            ++exactCount;
            continue;
        }
        weighted += s.value / d2;
        weights += 1.0 / d2;
    }
    return exactCount > 0 ? exact / exactCount : weighted / weights;
}

} // namespace

double SweepContourView::Scale::unit(double coord) const
{
    if (!std::isfinite(coord) || (log && coord <= 0))
        return kNoCoordinate;
    return ((log ? std::log10(coord) : coord) - lo) / (hi - lo);
}

double SweepContourView::Scale::cellUnit(int cell) const
{
    const double u = (cell + 0.5) / kCells;
    if (categories.isEmpty())
        return u;
    const auto n = double(categories.size());
    return (std::clamp(std::floor(u * n), 0.0, n - 1) + 0.5) / n;
}

std::vector<SweepContourView::Tick> SweepContourView::Scale::ticks(int pixels) const
{
    std::vector<Tick> out;
    if (!categories.isEmpty()) {
        for (qsizetype i = 0; i < categories.size(); ++i)
            out.push_back({unit(double(i)), categories[i]});
        return out;
    }
    const int target = std::max(2, pixels / 80);
    const auto values = log ? logTicks(lo, hi, target) : niceTicks(lo, hi, target);
    const double step = values.size() > 1 ? values[1] - values[0] : 0;
    for (double t : values)
        out.push_back(
            {(t - lo) / (hi - lo), log ? formatTick(std::pow(10.0, t)) : formatTick(t, step)});
    return out;
}

SweepContourView::SweepContourView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName("sweepContour");
    rebuild();
}

SweepContourView::Scale SweepContourView::scaleOf(const SweepAxis &axis)
{
    Scale scale;
    if (axis.kind == sweep::Kind::Choice) {
        // One band per category, each category at its band's centre.
        scale.categories = axis.choices;
        scale.lo = -0.5;
        scale.hi = std::max<double>(1, axis.choices.size()) - 0.5;
        return scale;
    }
    scale.log = axis.kind == sweep::Kind::LogUniform && axis.low > 0 && axis.high > 0;
    scale.lo = scale.log ? std::log10(axis.low) : axis.low;
    scale.hi = scale.log ? std::log10(axis.high) : axis.high;
    if (!(scale.hi > scale.lo)) {
        scale.lo -= 0.5;
        scale.hi += 0.5;
    }
    return scale;
}

void SweepContourView::setData(std::vector<SweepAxis> axes, std::vector<TrialItem> trials,
                               QString metric, bool maximize)
{
    m_axes = std::move(axes);
    m_trials = std::move(trials);
    m_metric = std::move(metric);
    m_maximize = maximize;
    rebuild();
}

void SweepContourView::setKeys(int x, int y)
{
    if (x == m_x && y == m_y)
        return;
    m_x = x;
    m_y = y;
    rebuild();
}

QColor SweepContourView::colourOf(double value) const
{
    return QColor(objectiveColour(m_high > m_low ? (value - m_low) / (m_high - m_low) : 0.5));
}

QString SweepContourView::whyNotDrawn(int samples) const
{
    const int keys = int(m_axes.size());
    if (keys == 0)
        return tr("No trials yet");
    if (keys == 1)
        return tr("The contour plots two keys against each other; this sweep searches one.");
    if (m_x < 0 || m_y < 0 || m_x >= keys || m_y >= keys)
        return tr("Choose the keys for X and Y.");
    if (m_x == m_y)
        return tr("Choose two different keys for X and Y.");
    if (samples < 3)
        return tr("The contour needs 3 completed trials with both keys; this sweep has %1.")
            .arg(samples);
    return {};
}

void SweepContourView::rebuild()
{
    std::vector<Sample> samples;
    const int keys = int(m_axes.size());
    if (m_x >= 0 && m_y >= 0 && m_x < keys && m_y < keys && m_x != m_y) {
        m_xScale = scaleOf(m_axes[std::size_t(m_x)]);
        m_yScale = scaleOf(m_axes[std::size_t(m_y)]);
        for (const auto &trial : m_trials) {
            if (!trial.hasCompletedValue() || trial.coords.size() < std::size_t(keys))
                continue;
            const double x = m_xScale.unit(trial.coords[std::size_t(m_x)]);
            const double y = m_yScale.unit(trial.coords[std::size_t(m_y)]);
            if (std::isfinite(x) && std::isfinite(y))
                samples.push_back({x, y, *trial.value});
        }
    }
    m_message = whyNotDrawn(int(samples.size()));
    m_grid = {};
    m_low = m_high = 0;
    if (m_message.isEmpty()) {
        const auto [least, most] = std::ranges::minmax_element(
            samples, [](const Sample &a, const Sample &b) { return a.value < b.value; });
        m_low = least->value;
        m_high = most->value;
        m_grid = QImage(kCells, kCells, QImage::Format_RGB32);
        for (int row = 0; row < kCells; ++row) {
            const double y = m_yScale.cellUnit(kCells - 1 - row);
            auto *line = reinterpret_cast<QRgb *>(m_grid.scanLine(row));
            for (int column = 0; column < kCells; ++column)
                line[column] = colourOf(interpolate(samples, m_xScale.cellUnit(column), y)).rgb();
        }
    }
    update();
}

QRect SweepContourView::plotRect() const
{
    const QFontMetrics fm(font());
    const int top = fm.height() + 8;
    const int bottom = 2 * fm.height() + 14;
    // The Y labels' room: the widest of the ticks paintYAxis draws for this height.
    int labels = 0;
    for (const auto &tick : m_yScale.ticks(height() - top - bottom))
        labels = std::max(labels, fm.horizontalAdvance(tick.label) + 2);
    labels = std::min(labels, width() / 4);
    const int left = fm.height() + 12 + labels;
    const int right = 14 + 16 + fm.horizontalAdvance(QStringLiteral("-0.0000"));
    return rect().adjusted(left, top, -right, -bottom);
}

QPointF SweepContourView::pointIn(const QRectF &plot, double x, double y) const
{
    return {plot.left() + m_xScale.unit(x) * plot.width(),
            plot.top() + (1 - m_yScale.unit(y)) * plot.height()};
}

QPoint SweepContourView::plotPoint(double x, double y) const
{
    return pointIn(QRectF(plotRect()), x, y).toPoint();
}

void SweepContourView::paintXAxis(QPainter &painter, const QRect &plot) const
{
    const QFontMetrics fm(font());
    const auto ticks = m_xScale.ticks(plot.width());
    const int room = m_xScale.categories.isEmpty()
                         ? plot.width()
                         : std::max(20, plot.width() / int(ticks.size()) - 4);
    for (const auto &tick : ticks) {
        const double x = plot.left() + tick.unit * plot.width();
        painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4));
        const QString label = fm.elidedText(tick.label, Qt::ElideRight, room);
        const int w = fm.horizontalAdvance(label);
        const double left = std::clamp(x - w / 2.0, 0.0, double(width() - w));
        painter.drawText(QPointF(left, plot.bottom() + 6 + fm.ascent()), label);
    }
    painter.drawText(QRect(plot.left(), height() - fm.height() - 3, plot.width(), fm.height()),
                     Qt::AlignCenter,
                     fm.elidedText(m_axes[std::size_t(m_x)].key, Qt::ElideMiddle, plot.width()));
}

void SweepContourView::paintYAxis(QPainter &painter, const QRect &plot) const
{
    const QFontMetrics fm(font());
    const int room = plot.left() - fm.height() - 12;
    for (const auto &tick : m_yScale.ticks(plot.height())) {
        const double y = plot.top() + (1 - tick.unit) * plot.height();
        painter.drawLine(QPointF(plot.left() - 4, y), QPointF(plot.left(), y));
        painter.drawText(QRectF(fm.height() + 6, y - fm.height() / 2.0, room, fm.height()),
                         Qt::AlignRight | Qt::AlignVCenter,
                         fm.elidedText(tick.label, Qt::ElideRight, room));
    }
    painter.save();
    painter.translate(3, plot.center().y());
    painter.rotate(-90);
    painter.drawText(QRect(-plot.height() / 2, 0, plot.height(), fm.height()), Qt::AlignCenter,
                     fm.elidedText(m_axes[std::size_t(m_y)].key, Qt::ElideMiddle, plot.height()));
    painter.restore();
}

void SweepContourView::paintDots(QPainter &painter, const QRect &plot)
{
    const TrialItem *best = nullptr;
    for (const auto &trial : m_trials)
        if (trial.hasCompletedValue()
            && (!best || (m_maximize ? *trial.value > *best->value : *trial.value < *best->value)))
            best = &trial;
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF area = QRectF(plot).adjusted(-1, -1, 1, 1);
    const auto place = [&](const TrialItem &trial) -> std::optional<QPointF> {
        if (trial.coords.size() < m_axes.size())
            return std::nullopt;
        const QPointF at
            = pointIn(QRectF(plot), trial.coords[std::size_t(m_x)], trial.coords[std::size_t(m_y)]);
        return area.contains(at) ? std::optional(at) : std::nullopt;
    };
    // The trials without a value first, hollow, then the completed ones over them.
    QColor grey = palette().placeholderText().color();
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(grey, 1.2));
    for (const auto &trial : m_trials)
        if (const auto at = place(trial); at && !trial.hasCompletedValue()) {
            painter.drawEllipse(*at, 3.0, 3.0);
            ++m_drawnDots;
        }
    painter.setPen(QPen(QColor(0, 0, 0, 190), 1.0));
    for (const auto &trial : m_trials)
        if (const auto at = place(trial); at && trial.hasCompletedValue()) {
            painter.setBrush(colourOf(*trial.value));
            painter.drawEllipse(*at, 4.0, 4.0);
            ++m_drawnDots;
        }
    if (const auto at = best ? place(*best) : std::nullopt) {
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(Qt::white, 2.0));
        painter.drawEllipse(*at, 7.0, 7.0);
        painter.setPen(QPen(QColor(0, 0, 0, 190), 1.0));
        painter.drawEllipse(*at, 8.5, 8.5);
    }
    painter.setRenderHint(QPainter::Antialiasing, false);
}

void SweepContourView::paintColourBar(QPainter &painter, const QRect &plot) const
{
    const QFontMetrics fm(font());
    const QRect bar(plot.right() + 14, plot.top(), 14, plot.height());
    for (int y = 0; y < bar.height(); ++y) {
        const double t = 1.0 - (y + 0.5) / bar.height();
        painter.setPen(QColor(objectiveColour(t)));
        painter.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
    }
    painter.setPen(palette().windowText().color());
    painter.drawRect(bar);
    const int labelLeft = bar.right() + 6;
    const int room = width() - labelLeft;
    const auto label = [&](double value, double y, double step) {
        painter.drawLine(QPointF(bar.right() + 1, y), QPointF(bar.right() + 4, y));
        painter.drawText(QRectF(labelLeft, y - fm.height() / 2.0, room, fm.height()),
                         Qt::AlignLeft | Qt::AlignVCenter, formatTick(value, step));
    };
    if (m_high > m_low) {
        const auto values = niceTicks(m_low, m_high, std::max(2, bar.height() / 40));
        const double step = values.size() > 1 ? values[1] - values[0] : 0;
        for (double v : values)
            label(v, bar.bottom() - (v - m_low) / (m_high - m_low) * bar.height(), step);
    } else {
        label(m_low, bar.center().y(), 0);
    }
    // The objective's name over the bar, right-aligned so that a long name runs leftwards.
    const int nameWidth = width() - plot.left();
    painter.drawText(QRect(width() - nameWidth - 4, 2, nameWidth, fm.height()),
                     Qt::AlignRight | Qt::AlignVCenter,
                     fm.elidedText(m_metric, Qt::ElideMiddle, nameWidth));
}

void SweepContourView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    m_drawnDots = 0;
    if (!m_message.isEmpty()) {
        painter.setPen(palette().placeholderText().color());
        painter.drawText(rect().adjusted(10, 10, -10, -10), Qt::AlignCenter | Qt::TextWordWrap,
                         m_message);
        return;
    }
    const QRect plot = plotRect();
    if (plot.width() < 10 || plot.height() < 10)
        return;
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.drawImage(QRectF(plot), m_grid);
    painter.setPen(palette().windowText().color());
    painter.drawRect(plot.adjusted(0, 0, -1, -1));
    paintXAxis(painter, plot);
    paintYAxis(painter, plot);
    paintColourBar(painter, plot);
    paintDots(painter, plot);
}

} // namespace lathe::panels
