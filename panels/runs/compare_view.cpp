#include "panels/runs/compare_view.h"

#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "panels/common/plot_widget.h"
#include "panels/common/run_colour.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/config_diff_view.h"
#include "panels/runs/parallel_coords_widget.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>

namespace lathe::panels {

namespace {

// Hyperparameters put first when they are axes, the first on a log scale.
constexpr std::array<std::string_view, 4> kStandardAxes{"optimizer.lr", "optimizer.weight_decay",
                                                        "training.batch_size", "training.epochs"};
// Differing keys shown as axes by default ("All keys" shows every numeric one).
constexpr std::size_t kMaxAxes = 10;
// More runs than this make an unreadable diff and plot: the first ones are compared.
constexpr std::size_t kMaxComparedRuns = 20;

// The results the config diff shows above the keys: a label, the metric, and how it is read.
struct ResultSpec
{
    const char *label;
    std::string_view key;
    bool best; ///< the best value of the series instead of the last
    bool accuracy;
};
constexpr std::array<ResultSpec, 6> kResults{{
    {QT_TRANSLATE_NOOP("CompareView", "best %1"), track::keys::kValAccuracy, true, true},
    {QT_TRANSLATE_NOOP("CompareView", "final %1"), track::keys::kValAccuracy, false, true},
    {QT_TRANSLATE_NOOP("CompareView", "%1"), track::keys::kTestAccuracy, false, true},
    {QT_TRANSLATE_NOOP("CompareView", "final %1"), track::keys::kValLoss, false, false},
    {QT_TRANSLATE_NOOP("CompareView", "%1"), track::keys::kTestLoss, false, false},
    {QT_TRANSLATE_NOOP("CompareView", "final %1"), track::keys::kTrainLoss, false, false},
}};

// The position of `key` among the standard axes (their count for any other key).
std::size_t axisRank(const std::string &key)
{
    return std::size_t(std::find(kStandardAxes.begin(), kStandardAxes.end(), key)
                       - kStandardAxes.begin());
}

bool isNumeric(const track::ParamDiff &diff)
{
    bool any = false;
    for (const auto &value : diff.values) {
        if (value && !track::parseNumber(*value))
            return false;
        any = any || value.has_value();
    }
    return any;
}

std::string_view curveKey(CompareView::Metric metric)
{
    // test/accuracy is logged once at the end: plot the validation curve instead.
    return metric == CompareView::FinalTrainLoss ? track::keys::kTrainLoss
                                                 : track::keys::kValAccuracy;
}

} // namespace

struct CompareView::Loaded
{
    quint64 generation = 0;
    std::vector<track::ParamDiff> diff;
    std::vector<std::vector<std::pair<std::string, std::string>>> params;
    std::vector<std::vector<track::SeriesPoint>> series;
    std::vector<QString> parentNames; ///< per run; empty when it has none or it is gone
    std::vector<DiffResult> results;  ///< the kResults any run has
    compare::EnvironmentDiff environment;
};

namespace {

// Reads kResults for `ids`, keeping the rows some run has a value for.
Result<std::vector<DiffResult>> readResults(track::RunStore &store,
                                            const std::vector<std::int64_t> &ids)
{
    std::vector<DiffResult> results;
    for (const ResultSpec &spec : kResults) {
        DiffResult row{QCoreApplication::translate("CompareView", spec.label)
                           .arg(QString::fromLatin1(spec.key.data(), qsizetype(spec.key.size()))),
                       {},
                       spec.accuracy,
                       spec.accuracy};
        for (const auto id : ids) {
            auto value = spec.best ? store.bestMetric(id, spec.key, spec.accuracy)
                                   : store.lastMetric(id, spec.key);
            if (!value)
                return std::unexpected(value.error());
            row.values.push_back(*value);
        }
        if (std::ranges::any_of(row.values, [](const auto &v) { return v.has_value(); }))
            results.push_back(std::move(row));
    }
    return results;
}

} // namespace

CompareView::CompareView(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_store(store)
    , m_title(new QLabel(this))
    , m_lineage(new QLabel(this))
    , m_environment(new QLabel(this))
    , m_metric(new QComboBox(this))
    , m_tabs(new QTabWidget(this))
    , m_diff(new ConfigDiffView(this))
    , m_coords(new ParallelCoordsWidget(this))
    , m_allKeys(new QCheckBox(tr("All keys"), this))
    , m_curves(new PlotWidget(this))
{
    setObjectName(QStringLiteral("compareView"));
    m_metric->setObjectName(QStringLiteral("compareMetric"));
    m_metric->addItem(tr("Best val/accuracy"), int(BestValAccuracy));
    m_metric->addItem(tr("test/accuracy"), int(TestAccuracy));
    m_metric->addItem(tr("Final train/loss"), int(FinalTrainLoss));
    m_curves->setObjectName(QStringLiteral("compareCurves"));
    m_tabs->setObjectName(QStringLiteral("compareTabs"));
    m_curves->setEmptyText(tr("Select two or more runs to overlay their curves."));
    // The title and the metric sit beside the tabs, so that the views below keep the height.
    auto *corner = new QWidget(this);
    auto *top = new QHBoxLayout(corner);
    top->setContentsMargins(8, 0, 2, 2);
    top->addWidget(m_title, 1);
    top->addWidget(new QLabel(tr("Metric:"), corner));
    top->addWidget(m_metric);
    m_lineage->setObjectName(QStringLiteral("compareLineage"));
    m_lineage->setWordWrap(true);
    m_lineage->hide();
    m_environment->setObjectName(QStringLiteral("compareEnvironment"));
    m_environment->setTextFormat(Qt::PlainText);
    m_environment->setWordWrap(true);
    m_environment->hide();
    m_tabs->addTab(m_diff, tr("Config diff"));
    m_allKeys->setObjectName(QStringLiteral("allKeys"));
    m_allKeys->setToolTip(tr("Show every numeric config key as an axis, also those on which "
                             "the runs agree"));
    auto *coordsPage = new QWidget(this);
    auto *coordsLayout = new QVBoxLayout(coordsPage);
    coordsLayout->setContentsMargins(0, 0, 0, 0);
    coordsLayout->setSpacing(2);
    coordsLayout->addWidget(m_allKeys);
    coordsLayout->addWidget(m_coords, 1);
    m_tabs->addTab(coordsPage, tr("Parallel coordinates"));
    m_tabs->addTab(m_curves, tr("Curves"));
    m_tabs->setCornerWidget(corner, Qt::TopRightCorner);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addWidget(m_lineage);
    layout->addWidget(m_environment);
    layout->addWidget(m_tabs, 1);
    connect(m_allKeys, &QCheckBox::toggled, this, &CompareView::updateCoords);
    connect(m_metric, &QComboBox::currentIndexChanged, this, [this] {
        updateCoords();
        load();
    });
    showRuns({});
}

QString CompareView::lineageText() const
{
    return m_lineage->text();
}

QString CompareView::environmentText() const
{
    return m_environment->text();
}

void CompareView::showEnvironment(const compare::EnvironmentDiff &diff)
{
    if (diff.summary.empty()) {
        m_environment->clear();
        m_environment->hide();
        return;
    }
    QString summary = QString::fromStdString(diff.summary);
    summary[0] = summary[0].toUpper();
    QStringList lines{summary + QLatin1Char(':')};
    for (const auto &row : diff.rows) {
        QStringList values;
        for (std::size_t i = 0; i < row.values.size() && i < m_runs.size(); ++i)
            values.push_back(m_runs[i].name + QStringLiteral(" ")
                             + (row.values[i].empty() ? QStringLiteral("-")
                                                      : QString::fromStdString(row.values[i])));
        lines.push_back(QStringLiteral("  ") + QString::fromStdString(row.aspect)
                        + QStringLiteral(": ") + values.join(QStringLiteral(" · ")));
    }
    m_environment->setText(lines.join(QLatin1Char('\n')));
    m_environment->setVisible(true);
}

CompareView::Metric CompareView::metric() const
{
    return Metric(m_metric->currentData().toInt());
}

void CompareView::setMetric(Metric metric)
{
    m_metric->setCurrentIndex(m_metric->findData(int(metric)));
}

void CompareView::showRuns(const std::vector<RunRow> &runs)
{
    m_runs.assign(runs.begin(),
                  runs.begin() + std::ptrdiff_t(std::min(runs.size(), kMaxComparedRuns)));
    m_params.clear();
    m_lineage->clear();
    m_lineage->hide();
    m_environment->clear();
    m_environment->hide();
    if (m_runs.size() < 2) {
        ++m_generation;
        m_title->setText(tr("Ctrl+click runs to compare"));
        m_diff->clearDiff(tr("Select two or more runs (Ctrl+click) to compare their configs."));
        m_coords->setEmptyText(tr("Select two or more runs to compare their hyperparameters."));
        m_coords->setData({}, {});
        m_curves->setTitle({});
        m_curves->setSeries({});
        return;
    }
    if (runs.size() > kMaxComparedRuns)
        m_title->setText(tr("The first %1 of %2 runs").arg(m_runs.size()).arg(runs.size()));
    else
        m_title->setText(tr("Comparing %n runs", nullptr, int(m_runs.size())));
    load();
}

void CompareView::load()
{
    if (m_runs.size() < 2)
        return;
    std::vector<std::int64_t> ids, parents;
    for (const auto &run : m_runs) {
        ids.push_back(run.id);
        parents.push_back(run.parentId);
    }
    const quint64 generation = ++m_generation;
    const std::string key(curveKey(metric()));
    m_store.query(
        this,
        [ids, parents, key, generation](track::RunStore &store) -> Result<Loaded> {
            Loaded loaded;
            loaded.generation = generation;
            auto diff = store.configDiff(ids);
            if (!diff)
                return std::unexpected(diff.error());
            loaded.diff = std::move(*diff);
            // Where they ran, beside the config keys: "same config, different CPU".
            auto environment
                = compare::environmentDiff(store, ids, compare::sameConfigButSeed(loaded.diff));
            if (!environment)
                return std::unexpected(environment.error());
            loaded.environment = std::move(*environment);
            for (const auto id : ids) {
                auto params = store.params(id);
                auto series = store.seriesXY(id, key);
                if (!params || !series)
                    return std::unexpected(!params ? params.error() : series.error());
                loaded.params.push_back(std::move(*params));
                loaded.series.push_back(std::move(*series));
            }
            auto results = readResults(store, ids);
            if (!results)
                return std::unexpected(results.error());
            loaded.results = std::move(*results);
            for (const auto parent : parents) {
                auto run = parent != 0 ? store.run(parent) : Result<track::RunInfo>();
                loaded.parentNames.push_back(parent != 0 && run ? QString::fromStdString(run->name)
                                                                : QString());
            }
            return loaded;
        },
        [this](Result<Loaded> loaded) {
            if (!loaded) {
                m_diff->clearDiff(
                    tr("Cannot compare: %1").arg(QString::fromStdString(loaded.error().message)));
                return;
            }
            if (loaded->generation == m_generation)
                apply(std::move(*loaded));
        });
}

void CompareView::apply(Loaded loaded)
{
    QStringList names;
    std::vector<PlotSeries> series;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        names.push_back(m_runs[i].name);
        series.push_back(
            {m_runs[i].name, runColour(m_runs[i].id), std::move(loaded.series[i]), false});
    }
    QStringList lineage;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        if (m_runs[i].parentId != 0)
            lineage.push_back(m_runs[i].name + QStringLiteral(": ")
                              + panels::lineageText(m_runs[i].parentId, loaded.parentNames[i]));
    }
    m_lineage->setText(lineage.join(QLatin1Char('\n')));
    m_lineage->setVisible(!lineage.isEmpty());
    showEnvironment(loaded.environment);
    m_diff->setDiff(names, loaded.diff, loaded.results);
    m_params = std::move(loaded.params);
    const auto key = curveKey(metric());
    const auto title = QString::fromLatin1(key.data(), qsizetype(key.size()));
    m_curves->setTitle(title);
    m_curves->setAxisTitles(tr("step"), title);
    m_curves->setSeries(std::move(series));
    updateCoords();
    Q_EMIT comparisonShown();
}

void CompareView::updateCoords()
{
    if (m_params.size() != m_runs.size() || m_runs.size() < 2)
        return;
    // Axes: the keys that differ among the runs (every key with "All keys"), the standard
    // hyperparameters first, then the metric; only numeric keys make an axis.
    std::vector<std::string> keys;
    const bool all = m_allKeys->isChecked();
    if (all) {
        for (const auto &params : m_params)
            for (const auto &entry : params)
                keys.push_back(entry.first);
    } else {
        for (const auto &entry : m_diff->keys())
            keys.push_back(entry.toStdString());
    }
    std::sort(keys.begin(), keys.end(), [](const std::string &a, const std::string &b) {
        return std::pair(axisRank(a), std::string_view(a))
               < std::pair(axisRank(b), std::string_view(b));
    });
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::vector<ParallelAxis> axes;
    std::vector<ParallelLine> lines(m_runs.size());
    for (const auto &key : keys) {
        track::ParamDiff column{key, {}};
        for (const auto &params : m_params) {
            const auto it = std::find_if(params.begin(), params.end(),
                                         [&](const auto &kv) { return kv.first == key; });
            column.values.push_back(it == params.end() ? std::nullopt : std::optional(it->second));
        }
        if (!isNumeric(column))
            continue;
        if (!all && axes.size() == kMaxAxes)
            break;
        axes.push_back({QString::fromStdString(key), key == "optimizer.lr"});
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const auto &value = column.values[i];
            lines[i].values.push_back(value ? track::parseNumber(*value).value_or(NAN) : NAN);
        }
    }
    axes.push_back({m_metric->currentText(), false});
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto &run = m_runs[i];
        const auto value = metric() == BestValAccuracy ? run.bestValAccuracy
                           : metric() == TestAccuracy  ? run.testAccuracy
                                                       : run.finalTrainLoss;
        lines[i].name = run.name;
        lines[i].color = runColour(run.id);
        lines[i].values.push_back(value.value_or(NAN));
    }
    m_coords->setEmptyText(tr("No numeric hyperparameter differs among these runs: tick "
                              "All keys to see them all."));
    m_coords->setData(std::move(axes), std::move(lines));
}

} // namespace lathe::panels
