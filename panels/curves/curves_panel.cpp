#include "panels/curves/curves_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>

#include <cmath>

namespace lathe::panels {

namespace {

constexpr int kPollMs = 500;
constexpr std::uint64_t kAllKeys = ~std::uint64_t(0);

struct ChartSpec
{
    const char *objectName;
    const char *title;
    const char *yTitle;
    std::vector<int> keys;
};

const std::array<ChartSpec, 4> &chartSpecs()
{
    static const std::array<ChartSpec, 4> specs{{
        {"lossChart", QT_TRANSLATE_NOOP("CurvesPanel", "Loss"), "loss", {TrainLoss, ValLoss}},
        {"accuracyChart",
         QT_TRANSLATE_NOOP("CurvesPanel", "Accuracy"),
         "accuracy",
         {TrainAccuracy, ValAccuracy}},
        {"lrChart", QT_TRANSLATE_NOOP("CurvesPanel", "Learning rate"), "lr", {LearningRate}},
        {"speedChart",
         QT_TRANSLATE_NOOP("CurvesPanel", "Throughput"),
         "samples/s",
         {SamplesPerSec}},
    }};
    return specs;
}

std::uint64_t keyMask(const std::vector<int> &keys)
{
    std::uint64_t mask = 0;
    for (int k : keys)
        mask |= CurveSet::keyBit(k);
    return mask;
}

QString clockText(double seconds)
{
    const double a = std::abs(seconds);
    if (a < 60)
        return QString::number(seconds, 'g', a < 10 ? 3 : 4) + QStringLiteral(" s");
    const qint64 s = qint64(std::llround(a));
    const QString sign = seconds < 0 ? QStringLiteral("-") : QString();
    if (s < 3600)
        return sign + QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return sign
           + QStringLiteral("%1:%2:%3")
                 .arg(s / 3600)
                 .arg(s / 60 % 60, 2, 10, QLatin1Char('0'))
                 .arg(s % 60, 2, 10, QLatin1Char('0'));
}

std::function<QString(double)> axisFormatter(CurveAxis axis)
{
    switch (axis) {
    case CurveAxis::Step: return {};
    case CurveAxis::Epoch: return [](double x) { return QString::number(x, 'g', 6); };
    case CurveAxis::RelativeTime: return clockText;
    case CurveAxis::WallTime:
        return [](double x) {
            return QDateTime::fromMSecsSinceEpoch(qint64(x * 1000)).toString("HH:mm:ss");
        };
    }
    return {};
}

} // namespace

CurvesPanel::CurvesPanel(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_store(&store)
    , m_groups(store, m_curves, this)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(buildControls());
    layout->addWidget(buildGroupControls());
    m_legend = new QLabel(this);
    m_legend->setObjectName("legend");
    m_legend->setWordWrap(true);
    m_legend->setTextFormat(Qt::RichText);
    layout->addWidget(m_legend);
    m_chartHost = new QWidget(this);
    buildCharts(m_chartHost);
    layout->addWidget(m_chartHost, 1);
    m_status = new QLabel(this);
    m_status->setObjectName("status");
    layout->addWidget(m_status);
    applyDisplay();
    updateLegend();
    updateMetricPicker();
    updateStatus();
    m_timer.setInterval(kPollMs);
    connect(&m_timer, &QTimer::timeout, this, &CurvesPanel::refresh);
    m_timer.start();
    connect(&m_groups, &CurveGroups::groupsChanged, this, [this] {
        redraw(kAllKeys, false);
        updateLegend();
        updateStatus();
    });
    connect(&m_groups, &CurveGroups::bandsReady, this, &CurvesPanel::drawBands);
}

CurvesPanel::~CurvesPanel() = default;

QWidget *CurvesPanel::buildControls()
{
    auto *bar = new QWidget(this);
    auto *row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(new QLabel(tr("Smoothing"), bar));
    m_smoothing = new QSlider(Qt::Horizontal, bar);
    m_smoothing->setObjectName("smoothing");
    m_smoothing->setRange(0, 99);
    m_smoothing->setPageStep(10);
    m_smoothing->setMinimumWidth(120);
    m_smoothing->setToolTip(tr("Exponential moving average of the training curves (debiased, "
                               "as in TensorBoard). The raw values stay visible, pale."));
    row->addWidget(m_smoothing);
    m_smoothingValue = new QLabel(QStringLiteral("0.00"), bar);
    m_smoothingValue->setMinimumWidth(m_smoothingValue->fontMetrics().horizontalAdvance("0.000"));
    row->addWidget(m_smoothingValue);
    m_logY = new QCheckBox(tr("Log y"), bar);
    m_logY->setObjectName("logY");
    row->addWidget(m_logY);
    row->addWidget(new QLabel(tr("X axis"), bar));
    m_axis = new QComboBox(bar);
    m_axis->setObjectName("xAxis");
    m_axis->addItems({tr("Step"), tr("Epoch"), tr("Relative time"), tr("Wall time")});
    row->addWidget(m_axis);
    m_metricPicker = new QComboBox(bar);
    m_metricPicker->setObjectName("metricPicker");
    // Compact in the bar; the popup still widens to the longest key.
    m_metricPicker->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_metricPicker->setMinimumContentsLength(12);
    m_metricPicker->setToolTip(tr("Other metrics the shown runs have recorded: pick one to add "
                                  "its chart, pick a ticked one to remove it."));
    row->addWidget(m_metricPicker);
    row->addStretch(1);
    m_exportPng = new QPushButton(tr("Export PNG…"), bar);
    m_exportPng->setObjectName("exportPng");
    m_exportCsv = new QPushButton(tr("Export CSV…"), bar);
    m_exportCsv->setObjectName("exportCsv");
    row->addWidget(m_exportPng);
    row->addWidget(m_exportCsv);
    connect(m_smoothing, &QSlider::valueChanged, this, &CurvesPanel::applyDisplay);
    connect(m_logY, &QCheckBox::toggled, this, &CurvesPanel::applyDisplay);
    connect(m_axis, &QComboBox::currentIndexChanged, this, [this] {
        applyDisplay();
        for (auto *chart : allCharts())
            chart->resetView(); // the old range was in other units
    });
    connect(m_metricPicker, &QComboBox::activated, this, [this](int index) {
        const QString key = m_metricPicker->itemData(index).toString();
        m_metricPicker->setCurrentIndex(0); // the picker is a menu, not a state
        if (!key.isEmpty())
            toggleMetric(key);
    });
    connect(m_exportPng, &QPushButton::clicked, this, &CurvesPanel::askExportPng);
    connect(m_exportCsv, &QPushButton::clicked, this, &CurvesPanel::askExportCsv);
    return bar;
}

void CurvesPanel::buildCharts(QWidget *host)
{
    auto *grid = new QGridLayout(host);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(4);
    for (std::size_t i = 0; i < m_charts.size(); ++i) {
        const ChartSpec &spec = chartSpecs()[i];
        auto *chart = new PlotWidget(host);
        chart->setObjectName(spec.objectName);
        chart->setTitle(tr(spec.title));
        chart->setLegendVisible(false); // one legend of runs for all four, above them
        grid->addWidget(chart, int(i) / 2, int(i) % 2);
        connect(chart, &PlotWidget::viewChanged, this, [this, chart] { syncViews(chart); });
        m_charts[i] = chart;
    }
}

QList<qint64> CurvesPanel::shownRuns() const
{
    // Exactly what the user picked; the active run only when nothing is picked (or it is).
    if (!m_picked.isEmpty())
        return m_picked;
    return m_active != 0 ? QList<qint64>{m_active} : QList<qint64>{};
}

void CurvesPanel::setSelection(const RunSelection &selection)
{
    // A run started in this window is followed live, over what was picked before it started;
    // a new pick shows exactly the runs picked.
    if (selection.active != 0 && selection.active != m_active)
        m_picked.clear();
    else if (selection.selected != m_selected)
        m_picked = selection.selected;
    m_active = selection.active;
    m_selected = selection.selected;
    updateShownRuns();
}

void CurvesPanel::updateShownRuns()
{
    const QList<qint64> runs = shownRuns();
    if (!m_curves.setRuns(std::vector<std::int64_t>(runs.begin(), runs.end())))
        return;
    m_charts[LossChart]->resetView(); // fit the runs now shown (the others follow)
    m_groups.followRuns();
    redraw(kAllKeys, true);
    updateLegend();
    updateMetricPicker();
    updateStatus();
    refresh();
}

void CurvesPanel::refresh()
{
    if (m_polling) {
        m_pollAgain = true;
        return;
    }
    auto polls = m_curves.polls();
    if (polls.empty())
        return;
    m_polling = true;
    m_store->query(
        this,
        [polls = std::move(polls)](track::RunStore &store) { return pollCurves(store, polls); },
        [this](Result<std::vector<RunUpdate>> result) { applyPoll(std::move(result)); });
}

void CurvesPanel::applyPoll(Result<std::vector<RunUpdate>> result)
{
    m_polling = false;
    if (!result) {
        m_error = QString::fromStdString(result.error().toString());
    } else {
        m_error.clear();
        const CurveSet::Changes changes = m_curves.apply(std::move(*result));
        redraw(changes.names ? kAllKeys : changes.keys, changes.events || changes.names);
        if (changes.names)
            updateLegend();
        if (changes.names || changes.recorded) {
            showStepTimeChart();
            updateMetricPicker();
        }
    }
    updateStatus();
    Q_EMIT updated();
    if (m_pollAgain) {
        m_pollAgain = false;
        refresh();
    }
}

void CurvesPanel::redraw(std::uint64_t keys, bool markers)
{
    const QString empty = shownRuns().isEmpty() ? tr("No run to show: start a run, or pick runs "
                                                     "in the Runs table.")
                                                : tr("No samples yet.");
    const std::vector<PlotMarker> marks = markers ? m_curves.markers() : std::vector<PlotMarker>{};
    std::vector<int> grouped; // keys whose bands are computed again, then drawn by drawBands
    for (const auto &[chart, chartKeys] : chartsWithKeys()) {
        if (keys & keyMask(chartKeys)) {
            chart->setEmptyText(empty);
            if (m_groups.active())
                grouped.insert(grouped.end(), chartKeys.begin(), chartKeys.end());
            else
                chart->setSeries(m_curves.plotSeries(chartKeys, chartKeys.size() > 1));
        }
        if (markers)
            chart->setMarkers(marks);
    }
    if (!grouped.empty())
        m_groups.update(grouped);
}

void CurvesPanel::drawBands(std::uint64_t keys)
{
    for (const auto &[chart, chartKeys] : chartsWithKeys())
        if (keys & keyMask(chartKeys))
            chart->setSeries(m_groups.series(chartKeys, chartKeys.size() > 1));
}

std::vector<std::pair<PlotWidget *, std::vector<int>>> CurvesPanel::chartsWithKeys() const
{
    std::vector<std::pair<PlotWidget *, std::vector<int>>> out;
    for (std::size_t i = 0; i < m_charts.size(); ++i)
        out.emplace_back(m_charts[i], chartSpecs()[i].keys);
    for (const auto &metric : m_metricCharts)
        out.emplace_back(metric.chart, metric.keys);
    return out;
}

void CurvesPanel::updateLegend()
{
    QStringList items;
    for (const auto &[name, color] : m_groups.active() ? m_groups.legend() : m_curves.legend())
        items << QStringLiteral("<span style=\"color:%1\">&#9632;</span>&nbsp;%2")
                     .arg(color.name(), name.toHtmlEscaped());
    if (items.isEmpty()) {
        m_legend->setText(shownRuns().isEmpty() ? tr("<i>No runs shown.</i>") : QString());
        return;
    }
    m_legend->setText(items.join(QStringLiteral(" &nbsp; "))
                      + tr(" &nbsp;&nbsp; <span style=\"color:gray\">solid: train, "
                           "dashed: validation%1</span>")
                            .arg(groupLegendNote()));
}

void CurvesPanel::updateStatus()
{
    if (!m_error.isEmpty() || !m_groups.error().isEmpty()) {
        m_status->setText(
            tr("Cannot read the runs: %1").arg(m_error.isEmpty() ? m_groups.error() : m_error));
        return;
    }
    const int runs = int(shownRuns().size());
    m_status->setText(tr("%n run(s), %1 samples. Wheel: zoom, drag: pan, right-drag: zoom to a "
                         "range, double-click: reset.",
                         nullptr, runs)
                          .arg(QLocale().toString(qulonglong(m_curves.sampleCount()))));
}

void CurvesPanel::applyDisplay()
{
    const double smoothing = m_smoothing->value() / 100.0;
    m_smoothingValue->setText(QString::number(smoothing, 'f', 2));
    m_curves.setDisplay(CurveAxis(m_axis->currentIndex()), smoothing);
    for (std::size_t i = 0; i < m_charts.size(); ++i)
        styleChart(m_charts[i], tr(chartSpecs()[i].yTitle));
    for (const auto &metric : m_metricCharts)
        styleChart(metric.chart, metric.yTitle);
    redraw(kAllKeys, true);
}

void CurvesPanel::styleChart(PlotWidget *chart, const QString &yTitle)
{
    static const char *const titles[]
        = {QT_TRANSLATE_NOOP("CurvesPanel", "step"), QT_TRANSLATE_NOOP("CurvesPanel", "epoch"),
           QT_TRANSLATE_NOOP("CurvesPanel", "time since start"),
           QT_TRANSLATE_NOOP("CurvesPanel", "wall-clock time")};
    const auto axis = CurveAxis(m_axis->currentIndex());
    chart->setAxisTitles(tr(titles[int(axis)]), yTitle);
    chart->setXFormatter(axisFormatter(axis));
    chart->setLogY(m_logY->isChecked());
}

void CurvesPanel::syncViews(PlotWidget *source)
{
    if (m_syncing)
        return;
    m_syncing = true;
    for (auto *chart : allCharts()) {
        if (chart == source)
            continue;
        if (source->isZoomed()) {
            const auto [lo, hi] = source->xRange();
            chart->setXRange(lo, hi);
        } else {
            chart->resetView();
        }
    }
    m_syncing = false;
}

} // namespace lathe::panels
