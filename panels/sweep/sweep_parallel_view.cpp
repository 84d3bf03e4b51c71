#include "panels/sweep/sweep_parallel_view.h"

#include <QPainter>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lathe::panels {

namespace {

bool completedValue(const TrialItem &trial)
{
    return trial.state == track::TrialState::Completed && trial.value
           && std::isfinite(*trial.value);
}

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
        if (completedValue(trial)) {
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

void SweepParallelView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    m_drawnLines = 0;
    const QFontMetrics fm(font());
    if (m_axes.empty() || m_trials.empty()) {
        painter.setPen(palette().placeholderText().color());
        painter.drawText(rect(), Qt::AlignCenter, tr("No trials yet"));
        return;
    }
    const auto axisScales = scales();
    const int count = int(axisScales.size());
    // Margins of half an axis name's room, between 36 and 90 px.
    const int margin = std::clamp(width() / (2 * count), 36, 90);
    const QRect plot = rect().adjusted(margin, 2 * fm.height() + 8, -margin, -fm.height() - 8);
    const int spacing = count > 1 ? plot.width() / (count - 1) : plot.width();
    const auto xOf = [&](int axis) { return plot.left() + axis * spacing; };

    // Others first (grey), then completed trials from the worst to the best.
    const Scale &objective = axisScales.back();
    std::vector<std::size_t> order(m_trials.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    const auto goodness = [&](const TrialItem &t) {
        if (!completedValue(t))
            return -std::numeric_limits<double>::infinity();
        return m_maximize ? *t.value : -*t.value;
    };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return goodness(m_trials[a]) < goodness(m_trials[b]);
    });
    const QColor grey = palette().placeholderText().color();
    QPolygonF line;
    for (std::size_t index : order) {
        const TrialItem &trial = m_trials[index];
        const bool done = completedValue(trial);
        QColor colour = grey;
        if (done && objective.hi > objective.lo) {
            const double t = (*trial.value - objective.lo) / (objective.hi - objective.lo);
            colour = heat(m_maximize ? t : 1.0 - t);
        } else if (done) {
            colour = heat(1.0);
        } else {
            colour.setAlpha(90);
        }
        painter.setPen(QPen(colour, 1.0));
        line.clear();
        for (int axis = 0; axis < count; ++axis) {
            const double value
                = axis + 1 < count
                      ? (std::size_t(axis) < trial.coords.size()
                             ? trial.coords[std::size_t(axis)]
                             : std::numeric_limits<double>::quiet_NaN())
                      : (done ? *trial.value : std::numeric_limits<double>::quiet_NaN());
            const double y = yOf(axisScales[std::size_t(axis)], value, plot);
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
    for (int axis = 0; axis < count; ++axis) {
        const QString name = axis + 1 < count ? m_axes[std::size_t(axis)].key : m_metric;
        paintAxis(painter, axisScales[std::size_t(axis)], name, xOf(axis), plot, spacing);
    }
}

} // namespace lathe::panels
