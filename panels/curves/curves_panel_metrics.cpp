// The charts of the metrics picked with the "Metric…" picker, and the workers' step-time chart
// of a data-parallel run (see CurvesPanel).
#include "panels/curves/curves_panel.h"

#include <QComboBox>
#include <QGridLayout>

#include <algorithm>

namespace lathe::panels {

namespace {

bool isBuiltIn(const std::string &key)
{
    return std::find(kCurveKeys.begin(), kCurveKeys.end(), key) != kCurveKeys.end();
}

// "val/fairness/accuracy/" of "val/fairness/accuracy/group-a": the picker's groups.
QString keyPrefix(const QString &key)
{
    return key.left(key.lastIndexOf(QLatin1Char('/')) + 1);
}

// The per-worker step times, shown together in the step-time chart.
bool isStepTime(const QString &key)
{
    return key == QLatin1String(track::keys::kDistStepTimeMax.data())
           || key == QLatin1String(track::keys::kDistStepTimeMean.data());
}

} // namespace

PlotWidget *CurvesPanel::metricChart(const QString &key) const
{
    const QString chart = isStepTime(key) ? QString::fromLatin1(kStepTimeChart) : key;
    for (const auto &metric : m_metricCharts)
        if (metric.key == chart)
            return metric.chart;
    return nullptr;
}

std::vector<PlotWidget *> CurvesPanel::allCharts() const
{
    std::vector<PlotWidget *> charts(m_charts.begin(), m_charts.end());
    for (const auto &metric : m_metricCharts)
        charts.push_back(metric.chart);
    return charts;
}

// The recorded keys that are not built in, and the charted ones (ticked), a separator between
// prefix groups. Rebuilt only when that list changes, so an open popup is rarely disturbed.
void CurvesPanel::updateMetricPicker()
{
    QStringList keys;
    for (const auto &key : m_curves.recordedKeys())
        if (!isBuiltIn(key))
            keys << QString::fromStdString(key);
    for (const auto &metric : m_metricCharts)
        if (!keys.contains(metric.key))
            keys << metric.key;
    keys.sort();
    QStringList items{tr("Metric…")};
    for (const auto &key : keys)
        items << (metricChart(key) ? QStringLiteral("✓ ") : QString()) + key;
    QStringList shown;
    for (int i = 0; i < m_metricPicker->count(); ++i)
        if (!m_metricPicker->itemText(i).isEmpty()) // separators have no text
            shown << m_metricPicker->itemText(i);
    if (items == shown)
        return;
    m_metricPicker->clear();
    m_metricPicker->addItem(items.front());
    for (qsizetype i = 0; i < keys.size(); ++i) {
        if (i > 0 && keyPrefix(keys[i]) != keyPrefix(keys[i - 1]))
            m_metricPicker->insertSeparator(m_metricPicker->count());
        m_metricPicker->addItem(items[i + 1], keys[i]);
    }
    m_metricPicker->setEnabled(!keys.isEmpty());
}

void CurvesPanel::toggleMetric(const QString &key)
{
    const QString chartKey = isStepTime(key) ? QString::fromLatin1(kStepTimeChart) : key;
    auto it = std::find_if(m_metricCharts.begin(), m_metricCharts.end(),
                           [&](const MetricChart &m) { return m.key == chartKey; });
    if (it != m_metricCharts.end()) {
        for (const int index : it->keys)
            m_curves.dropKey(index);
        delete it->chart;
        m_metricCharts.erase(it);
        m_stepTimeRemoved = m_stepTimeRemoved || chartKey == QLatin1String(kStepTimeChart);
        layOutMetricCharts();
    } else if (chartKey == QLatin1String(kStepTimeChart)) {
        m_stepTimeRemoved = false;
        addMetricChart(chartKey,
                       {m_curves.addKey(std::string(track::keys::kDistStepTimeMax)),
                        m_curves.addKey(std::string(track::keys::kDistStepTimeMean))},
                       tr("Step time per worker: slowest (solid), mean (dashed)"), tr("seconds"));
    } else {
        addMetricChart(key, {m_curves.addKey(key.toStdString())}, key,
                       key.mid(key.lastIndexOf(QLatin1Char('/')) + 1));
    }
    updateMetricPicker();
    updateStatus();
    refresh();
}

void CurvesPanel::addMetricChart(const QString &key, std::vector<int> keys, const QString &title,
                                 const QString &yTitle)
{
    auto *chart = new PlotWidget(m_chartHost);
    chart->setObjectName(key == QLatin1String(kStepTimeChart) ? QStringLiteral("stepTimeChart")
                                                              : QStringLiteral("metricChart"));
    chart->setTitle(title);
    chart->setLegendVisible(false);
    styleChart(chart, yTitle);
    connect(chart, &PlotWidget::viewChanged, this, [this, chart] { syncViews(chart); });
    std::uint64_t bits = 0;
    for (const int index : keys)
        bits |= CurveSet::keyBit(index);
    m_metricCharts.push_back({key, std::move(keys), chart, yTitle});
    layOutMetricCharts();
    redraw(bits, true);
    syncViews(m_charts[LossChart]); // take the shared zoom
}

void CurvesPanel::layOutMetricCharts()
{
    auto *grid = static_cast<QGridLayout *>(m_chartHost->layout());
    for (const auto &metric : m_metricCharts)
        grid->removeWidget(metric.chart);
    for (std::size_t i = 0; i < m_metricCharts.size(); ++i) {
        grid->addWidget(m_metricCharts[i].chart, int(i + 4) / 2, int(i + 4) % 2);
        m_metricCharts[i].chart->show(); // now, not when the layout's queued show comes
    }
}

void CurvesPanel::showStepTimeChart()
{
    if (m_stepTimeRemoved || stepTimeChart())
        return;
    const auto recorded = m_curves.recordedKeys();
    if (std::find(recorded.begin(), recorded.end(), track::keys::kDistStepTimeMax)
        != recorded.end())
        toggleMetric(QString::fromLatin1(kStepTimeChart));
}

} // namespace lathe::panels
