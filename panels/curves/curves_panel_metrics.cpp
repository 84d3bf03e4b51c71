// The charts of the metrics picked with the "Metric…" picker (see CurvesPanel).
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

} // namespace

PlotWidget *CurvesPanel::metricChart(const QString &key) const
{
    for (const auto &metric : m_metricCharts)
        if (metric.key == key)
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
    auto *grid = static_cast<QGridLayout *>(m_chartHost->layout());
    auto it = std::find_if(m_metricCharts.begin(), m_metricCharts.end(),
                           [&](const MetricChart &m) { return m.key == key; });
    if (it != m_metricCharts.end()) {
        m_curves.dropKey(it->keyIndex);
        delete it->chart;
        m_metricCharts.erase(it);
    } else {
        auto *chart = new PlotWidget(m_chartHost);
        chart->setObjectName(QStringLiteral("metricChart"));
        chart->setTitle(key);
        chart->setLegendVisible(false);
        styleChart(chart, key.mid(key.lastIndexOf(QLatin1Char('/')) + 1));
        connect(chart, &PlotWidget::viewChanged, this, [this, chart] { syncViews(chart); });
        const int index = m_curves.addKey(key.toStdString());
        m_metricCharts.push_back({key, index, chart});
        redraw(CurveSet::keyBit(index), true);
        syncViews(m_charts[LossChart]); // take the shared zoom
    }
    // Refill the grid below the four built-in charts, two a row, with no gap left.
    for (const auto &metric : m_metricCharts)
        grid->removeWidget(metric.chart);
    for (std::size_t i = 0; i < m_metricCharts.size(); ++i) {
        grid->addWidget(m_metricCharts[i].chart, int(i + 4) / 2, int(i + 4) % 2);
        m_metricCharts[i].chart->show(); // now, not when the layout's queued show comes
    }
    updateMetricPicker();
    updateStatus();
    refresh();
}

} // namespace lathe::panels
