#include "panels/runs/compare_view.h"

#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "panels/common/plot_widget.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/config_diff_view.h"
#include "panels/runs/parallel_coords_widget.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>

namespace lathe::panels {

namespace {

// Hyperparameters always shown as axes (when the runs have them), the first on a log scale.
constexpr std::array<std::string_view, 4> kStandardAxes{"optimizer.lr", "optimizer.weight_decay",
                                                        "training.batch_size", "training.epochs"};
constexpr std::size_t kMaxAxes = 10;
// More runs than this make an unreadable diff and plot: the first ones are compared.
constexpr std::size_t kMaxRuns = 20;

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

QColor curveColor(std::size_t i)
{
    static const std::array<QColor, 8> kColors{QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e),
                                               QColor(0x2c, 0xa0, 0x2c), QColor(0xd6, 0x27, 0x28),
                                               QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                               QColor(0xe3, 0x77, 0xc2), QColor(0x17, 0xbe, 0xcf)};
    return kColors[i % kColors.size()];
}

} // namespace

struct CompareView::Loaded
{
    quint64 generation = 0;
    std::vector<track::ParamDiff> diff;
    std::vector<std::vector<std::pair<std::string, std::string>>> params;
    std::vector<std::vector<track::SeriesPoint>> series;
    std::vector<QString> parentNames; ///< per run; empty when it has none or it is gone
};

CompareView::CompareView(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_store(store)
    , m_title(new QLabel(this))
    , m_lineage(new QLabel(this))
    , m_metric(new QComboBox(this))
    , m_tabs(new QTabWidget(this))
    , m_diff(new ConfigDiffView(this))
    , m_coords(new ParallelCoordsWidget(this))
    , m_curves(new PlotWidget(this))
{
    setObjectName(QStringLiteral("compareView"));
    m_metric->setObjectName(QStringLiteral("compareMetric"));
    m_metric->addItem(tr("Best val/accuracy"), int(BestValAccuracy));
    m_metric->addItem(tr("test/accuracy"), int(TestAccuracy));
    m_metric->addItem(tr("Final train/loss"), int(FinalTrainLoss));
    m_curves->setObjectName(QStringLiteral("compareCurves"));
    m_curves->setEmptyText(tr("Select two or more runs to overlay their curves."));
    auto *top = new QHBoxLayout;
    top->addWidget(m_title, 1);
    top->addWidget(new QLabel(tr("Metric:"), this));
    top->addWidget(m_metric);
    m_lineage->setObjectName(QStringLiteral("compareLineage"));
    m_lineage->setWordWrap(true);
    m_lineage->hide();
    m_tabs->addTab(m_diff, tr("Config diff"));
    m_tabs->addTab(m_coords, tr("Parallel coordinates"));
    m_tabs->addTab(m_curves, tr("Curves"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_lineage);
    layout->addWidget(m_tabs, 1);
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
    m_runs.assign(runs.begin(), runs.begin() + std::ptrdiff_t(std::min(runs.size(), kMaxRuns)));
    m_params.clear();
    m_lineage->clear();
    m_lineage->hide();
    if (m_runs.size() < 2) {
        ++m_generation;
        m_title->setText(tr("Select two or more runs (Ctrl+click) to compare them."));
        m_diff->clearDiff(tr("Select two or more runs to compare their configs."));
        m_coords->setData({}, {});
        m_curves->setTitle({});
        m_curves->setSeries({});
        return;
    }
    if (runs.size() > kMaxRuns)
        m_title->setText(
            tr("Comparing the first %1 of %2 selected runs").arg(m_runs.size()).arg(runs.size()));
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
            for (const auto id : ids) {
                auto params = store.params(id);
                auto series = store.seriesXY(id, key);
                if (!params || !series)
                    return std::unexpected(!params ? params.error() : series.error());
                loaded.params.push_back(std::move(*params));
                loaded.series.push_back(std::move(*series));
            }
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
        series.push_back({m_runs[i].name, curveColor(i), std::move(loaded.series[i]), false});
    }
    QStringList lineage;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        if (m_runs[i].parentId != 0)
            lineage.push_back(m_runs[i].name + QStringLiteral(": ")
                              + panels::lineageText(m_runs[i].parentId, loaded.parentNames[i]));
    }
    m_lineage->setText(lineage.join(QLatin1Char('\n')));
    m_lineage->setVisible(!lineage.isEmpty());
    m_diff->setDiff(names, loaded.diff);
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
    // Axes: the standard hyperparameters, then the other numeric keys that differ.
    std::vector<std::string> keys(kStandardAxes.begin(), kStandardAxes.end());
    for (const auto &entry : m_diff->keys()) {
        const auto key = entry.toStdString();
        if (std::find(keys.begin(), keys.end(), key) == keys.end() && keys.size() < kMaxAxes)
            keys.push_back(key);
    }
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
        lines[i].values.push_back(value.value_or(NAN));
    }
    m_coords->setData(std::move(axes), std::move(lines));
}

} // namespace lathe::panels
