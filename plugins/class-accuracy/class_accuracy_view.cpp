#include "class_accuracy_view.h"

#include <QMouseEvent>

#include <algorithm>
#include <cmath>
#include <exception>
#include <string_view>

namespace class_accuracy {

namespace {

// Matplotlib's "tab10": ten colours told apart also by most colour-blind readers.
constexpr QRgb kColours[]{0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                          0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

QColor colourOf(std::size_t index)
{
    if (index < std::size(kColours))
        return QColor(kColours[index]);
    // More classes: hues a golden angle apart keep neighbours distinct.
    const double hue = std::fmod(0.07 + double(index) * 0.618033988749895, 1.0);
    return QColor::fromHsvF(float(hue), 0.7f, 0.8f);
}

/// Natural order: runs of digits compare as numbers ("class 2" < "class 10"), the rest by
/// character, ignoring case.
bool naturalLess(const QString &a, const QString &b)
{
    qsizetype i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].isDigit() && b[j].isDigit()) {
            const qsizetype si = i, sj = j;
            while (i < a.size() && a[i].isDigit())
                ++i;
            while (j < b.size() && b[j].isDigit())
                ++j;
            QStringView x = QStringView(a).mid(si, i - si), y = QStringView(b).mid(sj, j - sj);
            while (x.size() > 1 && x.front() == u'0')
                x = x.mid(1);
            while (y.size() > 1 && y.front() == u'0')
                y = y.mid(1);
            if (x.size() != y.size())
                return x.size() < y.size();
            if (const int c = x.compare(y); c != 0)
                return c < 0;
            continue;
        }
        const QChar x = a[i].toLower(), y = b[j].toLower();
        if (x != y)
            return x < y;
        ++i;
        ++j;
    }
    if ((a.size() - i) != (b.size() - j))
        return (a.size() - i) < (b.size() - j);
    return a < b;
}

} // namespace

ClassAccuracyView::ClassAccuracyView(lathe::sdk::IPanelHost &host, QWidget *parent)
    : QWidget(parent)
    , m_host(host)
{
    setObjectName("class-accuracy-view");
    setMouseTracking(true);
    setMinimumSize(320, 200);
    m_timer.setInterval(kPollMs);
    connect(&m_timer, &QTimer::timeout, this, [this] { poll(); });
    publish();
}

void ClassAccuracyView::showRun(std::int64_t runId)
{
    if (runId == m_runId)
        return;
    m_runId = runId;
    m_runName.clear();
    m_missing = false;
    m_series.clear();
    m_hoverStep = -1;
    if (isVisible())
        poll();
    else
        publish();
    update();
}

void ClassAccuracyView::poll()
{
    // Nothing may escape into Qt's event loop (a plugin's exceptions stay in the plugin).
    try {
        readNew();
    } catch (const std::exception &) {
        m_series.clear();
    }
    publish();
}

void ClassAccuracyView::readNew()
{
    if (m_runId < 0)
        return;
    if (m_runName.isEmpty()) {
        m_runName = QString::fromStdString(m_host.runName(m_runId));
        m_missing = m_runName.isEmpty();
        if (m_missing)
            return;
    }
    bool changed = false;
    const std::string_view prefix(kPrefix);
    for (const auto &key : m_host.metricNames(m_runId)) {
        if (!key.starts_with(prefix) || key.size() == prefix.size())
            continue;
        Series &series = seriesFor(key);
        const auto points = m_host.metric(m_runId, key, series.lastStep);
        for (const auto &point : points) {
            series.lastStep = std::max(series.lastStep, point.step);
            if (std::isfinite(point.value))
                series.points.emplace_back(double(point.step), point.value);
        }
        changed = changed || !points.empty();
    }
    if (changed)
        update();
}

ClassAccuracyView::Series &ClassAccuracyView::seriesFor(const std::string &key)
{
    auto it = std::find_if(m_series.begin(), m_series.end(),
                           [&key](const Series &s) { return s.key == key; });
    if (it != m_series.end())
        return *it;
    Series series;
    series.key = key;
    series.name = QString::fromStdString(key.substr(std::string_view(kPrefix).size()));
    // Natural order ("class 2" before "class 10"), which the legend and the colours follow.
    it = std::upper_bound(
        m_series.begin(), m_series.end(), series.name,
        [](const QString &name, const Series &s) { return naturalLess(name, s.name); });
    it = m_series.insert(it, std::move(series));
    for (std::size_t i = 0; i < m_series.size(); ++i)
        m_series[i].colour = colourOf(i);
    update();
    return *it;
}

void ClassAccuracyView::publish()
{
    std::size_t points = 0;
    for (const auto &series : m_series)
        points += series.points.size();
    QString hint;
    if (m_runId < 0)
        hint = tr("Select a run in the Runs panel to see its accuracy on each class");
    else if (m_missing)
        hint = tr("Run %1 is not in the experiment store").arg(m_runId);
    else if (m_series.empty())
        hint = tr("This run records no per-class accuracy.\nAdd {\"name\": \"per-class-accuracy\"} "
                  "to the run's metrics to see this");
    setProperty("runId", qlonglong(m_runId));
    setProperty("seriesCount", int(m_series.size()));
    setProperty("pointCount", qlonglong(points));
    setProperty("hint", hint);
    setProperty("plotRect", plotRect());
}

void ClassAccuracyView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    poll();
    m_timer.start();
}

void ClassAccuracyView::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_timer.stop();
}

void ClassAccuracyView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    setProperty("plotRect", plotRect());
}

void ClassAccuracyView::mouseMoveEvent(QMouseEvent *event)
{
    const QRect area = plotRect();
    double hover = -1;
    if (area.contains(event->position().toPoint()) && !m_series.empty()) {
        // The recorded step nearest the mouse.
        const double top = maxStep();
        const double x = (event->position().x() - area.left()) / area.width() * top;
        double best = -1;
        for (const auto &series : m_series)
            for (const auto &point : series.points)
                if (best < 0 || std::abs(point.x() - x) < std::abs(best - x))
                    best = point.x();
        hover = best;
    }
    if (hover != m_hoverStep) {
        m_hoverStep = hover;
        update();
    }
}

void ClassAccuracyView::leaveEvent(QEvent *event)
{
    QWidget::leaveEvent(event);
    if (m_hoverStep >= 0) {
        m_hoverStep = -1;
        update();
    }
}

} // namespace class_accuracy
