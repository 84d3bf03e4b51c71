#include "panels/sweep/sweep_panel.h"

#include "panels/bridge/store_client.h"
#include "panels/common/plot_widget.h"
#include "panels/sweep/importance_bars.h"
#include "panels/sweep/sweep_contour_view.h"
#include "panels/sweep/sweep_launcher.h"
#include "panels/sweep/sweep_parallel_view.h"
#include "panels/sweep/trial_table_model.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <utility>

namespace lathe::panels {

namespace {

QString sweepStatusText(track::SweepStatus status)
{
    return QString::fromUtf8(track::toString(status));
}

QString chooserText(const SweepListItem &item)
{
    const QString total = item.total >= 0 ? QString::number(item.total) : QStringLiteral("?");
    return SweepPanel::tr("%1 · %2 · %3/%4")
        .arg(item.name, sweepStatusText(item.status))
        .arg(item.done)
        .arg(total);
}

QString valueText(double value)
{
    return QString::number(value, 'g', 5);
}

} // namespace

SweepPanel::SweepPanel(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_store(&store)
{
    buildUi();
    connect(&m_poll, &QTimer::timeout, this, &SweepPanel::refresh);
    m_poll.start(1000);
    refresh();
}

SweepPanel::~SweepPanel() = default;

void SweepPanel::buildUi()
{
    m_chooser = new QComboBox(this);
    m_chooser->setObjectName("sweepChooser");
    m_chooser->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_chooser->setMinimumContentsLength(24);
    m_chooser->setPlaceholderText(tr("No sweeps in this store"));
    m_summary = new QLabel(this);
    m_summary->setObjectName("sweepSummary");
    m_summary->setMinimumWidth(1);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_trainBest = new QPushButton(tr("Train best config"), this);
    m_trainBest->setObjectName("trainBestConfig");
    m_trainBest->setToolTip(tr("Put the best trial's config in the Hyperparameters form"));
    m_trainBest->setEnabled(false);

    m_start = new QPushButton(tr("Start sweep…"), this);
    m_start->setObjectName("startSweep");
    m_start->setToolTip(tr("Run a sweep spec with lathe-cli on this store"));
    m_stop = new QPushButton(tr("Stop"), this);
    m_stop->setObjectName("stopSweep");
    m_stop->setToolTip(tr("Stop the shown sweep: its running trials stop, Resume goes on"));
    m_resume = new QPushButton(tr("Resume"), this);
    m_resume->setObjectName("resumeSweep");
    m_resume->setToolTip(tr("Go on with the shown stopped sweep"));
    m_error = new QLabel(this);
    m_error->setObjectName("sweepError");
    m_error->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->hide();
    m_launcher = new SweepLauncher(this);

    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Sweep:"), this));
    top->addWidget(m_chooser);
    top->addWidget(m_summary, 1);
    top->addWidget(m_start);
    top->addWidget(m_stop);
    top->addWidget(m_resume);
    top->addWidget(m_trainBest);

    m_model = new TrialTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(TrialTableModel::SortRole);
    m_table = new QTableView(this);
    m_table->setObjectName("sweepTrials");
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(TrialTableModel::NumberColumn, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    // Column widths from the first rows: measuring 1,000 trials' cells cost ~20 ms.
    m_table->horizontalHeader()->setResizeContentsPrecision(50);

    m_objective = new PlotWidget(this);
    m_objective->setObjectName("sweepObjective");
    m_objective->setAxisTitles(tr("trial"), tr("objective"));
    m_objective->setEmptyText(tr("No completed trial yet"));
    m_sliceKey = new QComboBox(this);
    m_sliceKey->setObjectName("sweepSliceKey");
    m_slice = new PlotWidget(this);
    m_slice->setObjectName("sweepSlice");
    m_slice->setLegendVisible(false);
    m_slice->setEmptyText(tr("No completed trial yet"));
    auto *slice = new QWidget(this);
    auto *sliceLayout = new QVBoxLayout(slice);
    sliceLayout->setContentsMargins(0, 4, 0, 0);
    auto *sliceTop = new QHBoxLayout;
    sliceTop->addWidget(new QLabel(tr("Objective against"), slice));
    sliceTop->addWidget(m_sliceKey, 1);
    sliceLayout->addLayout(sliceTop);
    sliceLayout->addWidget(m_slice, 1);
    m_contourX = new QComboBox(this);
    m_contourX->setObjectName("sweepContourX");
    m_contourY = new QComboBox(this);
    m_contourY->setObjectName("sweepContourY");
    m_contour = new SweepContourView(this);
    auto *contour = new QWidget(this);
    auto *contourLayout = new QVBoxLayout(contour);
    contourLayout->setContentsMargins(0, 4, 0, 0);
    auto *contourTop = new QHBoxLayout;
    contourTop->addWidget(new QLabel(tr("X:"), contour));
    contourTop->addWidget(m_contourX, 1);
    contourTop->addWidget(new QLabel(tr("Y:"), contour));
    contourTop->addWidget(m_contourY, 1);
    contourLayout->addLayout(contourTop);
    contourLayout->addWidget(m_contour, 1);
    m_parallel = new SweepParallelView(this);
    m_importance = new ImportanceBars(this);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName("sweepTabs");
    m_tabs->addTab(m_objective, tr("Objective"));
    m_tabs->addTab(slice, tr("Slice"));
    m_tabs->addTab(contour, tr("Contour"));
    m_tabs->addTab(m_parallel, tr("Parallel coordinates"));
    m_tabs->addTab(m_importance, tr("Importance"));

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName("sweepSplitter");
    split->addWidget(m_table);
    split->addWidget(m_tabs);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({500, 500}); // the table's params and the plots get half each

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_error);
    layout->addWidget(split, 1);

    connect(m_chooser, &QComboBox::currentIndexChanged, this, [this] { refresh(); });
    connect(m_trainBest, &QPushButton::clicked, this, &SweepPanel::trainBestConfig);
    connect(m_parallel, &SweepParallelView::brushed, this, &SweepPanel::runsBrushed);
    connect(m_sliceKey, &QComboBox::currentIndexChanged, this, &SweepPanel::updateSlice);
    for (auto *key : {m_contourX, m_contourY})
        connect(key, &QComboBox::currentIndexChanged, this, [this] {
            m_contour->setKeys(m_contourX->currentIndex(), m_contourY->currentIndex());
        });
    connectControls();
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        if (const qint64 run = index.data(TrialTableModel::RunIdRole).toLongLong(); run != 0)
            Q_EMIT trialRunActivated(run);
    });
}

void SweepPanel::setPollInterval(int ms)
{
    if (ms > 0)
        m_poll.start(ms);
    else
        m_poll.stop();
}

qint64 SweepPanel::sweepId() const
{
    return m_chooser->currentIndex() < 0 ? 0 : m_chooser->currentData().toLongLong();
}

void SweepPanel::showSweep(qint64 id)
{
    const int index = m_chooser->findData(id);
    if (index >= 0)
        m_chooser->setCurrentIndex(index);
}

void SweepPanel::refresh()
{
    if (m_loading) {
        m_again = true;
        return;
    }
    m_loading = true;
    m_again = false;
    m_store->sweepQuery(
        this,
        [known = m_totals](track::RunStore &, track::SweepStore &sweeps) {
            return readSweepList(sweeps, known);
        },
        [this](Result<std::vector<SweepListItem>> items) {
            if (!items) {
                m_loading = false;
                showProblem(tr("Cannot read the sweeps: %1")
                                .arg(QString::fromStdString(items.error().message)));
                return;
            }
            applyList(*items);
            loadSnapshot();
        });
}

void SweepPanel::applyList(const std::vector<SweepListItem> &items)
{
    // In place when the same sweeps are listed (an open popup stays open); otherwise rebuilt,
    // keeping the choice.
    for (const auto &item : items)
        if (item.total >= 0)
            m_totals[item.id] = item.total;
    const QSignalBlocker blocker(m_chooser);
    bool same = m_chooser->count() == int(items.size());
    for (int i = 0; same && i < m_chooser->count(); ++i)
        same = m_chooser->itemData(i).toLongLong() == items[std::size_t(i)].id;
    if (same) {
        for (int i = 0; i < m_chooser->count(); ++i)
            m_chooser->setItemText(i, chooserText(items[std::size_t(i)]));
    } else {
        const qint64 chosen = sweepId();
        m_chooser->clear();
        for (const auto &item : items)
            m_chooser->addItem(chooserText(item), item.id);
        const int index = m_chooser->findData(chosen);
        m_chooser->setCurrentIndex(index >= 0 ? index : (items.empty() ? -1 : 0));
    }
    // The sweep this panel started is shown as soon as it is listed.
    if (const int started = m_chooser->findData(m_showWhenListed); started >= 0) {
        m_chooser->setCurrentIndex(started);
        m_showWhenListed = 0;
    }
}

void SweepPanel::loadSnapshot()
{
    const qint64 id = sweepId();
    if (id == 0) {
        m_loading = false;
        if (m_snapshot.info.id != 0)
            applySnapshot({});
        if (m_again)
            refresh();
        return;
    }
    const std::uint64_t shown = m_snapshot.info.id == id ? m_snapshot.signature : 0;
    m_store->sweepQuery(
        this,
        [id, shown](track::RunStore &runs, track::SweepStore &sweeps) {
            return readSweepSnapshot(runs, sweeps, id, shown);
        },
        [this, id](Result<std::optional<SweepSnapshot>> snapshot) {
            m_loading = false;
            if (!snapshot)
                showProblem(tr("Cannot read sweep %1: %2")
                                .arg(id)
                                .arg(QString::fromStdString(snapshot.error().message)));
            else if (*snapshot && id == sweepId())
                applySnapshot(std::move(**snapshot));
            if (m_again)
                refresh();
        });
}

void SweepPanel::applySnapshot(SweepSnapshot snapshot)
{
    const bool sameSweep = snapshot.info.id == m_snapshot.info.id;
    m_snapshot = std::move(snapshot);
    m_model->setTrials(m_snapshot.axes, m_snapshot.trials, sameSweep);
    if (!sameSweep) {
        m_table->resizeColumnsToContents();
        m_parallel->clearBrushes();
        updateSliceKeys();
    }
    updateObjective();
    updateSlice();
    m_contour->setData(m_snapshot.axes, m_snapshot.trials, m_snapshot.metric, m_snapshot.maximize);
    if (!sameSweep)
        updateContourKeys();
    m_parallel->setData(m_snapshot.axes, m_snapshot.trials, m_snapshot.metric, m_snapshot.maximize);
    m_importance->setImportance(m_snapshot.importance);
    m_importance->setEmptyText(m_snapshot.importance.empty()
                                   ? tr("Importance needs 3 completed trials; this sweep has %1.")
                                         .arg(m_snapshot.completed)
                                   : QString());
    m_trainBest->setEnabled(!m_snapshot.bestConfigJson.empty());
    updateSummary();
    updateControls();
    Q_EMIT updated();
}

void SweepPanel::updateSummary()
{
    const auto &s = m_snapshot;
    if (s.info.id == 0) {
        m_summary->clear();
        return;
    }
    QString text = tr("%1 · %2 of %3 trials done · %4 completed")
                       .arg(sweepStatusText(s.info.status))
                       .arg(s.info.done)
                       .arg(s.info.total >= 0 ? QString::number(s.info.total) : tr("?"))
                       .arg(s.completed);
    if (s.bestNumber >= 0) {
        for (const auto &trial : s.trials)
            if (trial.number == s.bestNumber && trial.value)
                text += tr(" · best %1 = %2 (trial %3)")
                            .arg(s.metric, valueText(*trial.value))
                            .arg(s.bestNumber);
    }
    if (!s.problem.isEmpty())
        text += QStringLiteral(" · ") + s.problem;
    m_summary->setText(text);
    m_summary->setToolTip(text);
}

void SweepPanel::showProblem(const QString &text)
{
    m_summary->setText(text);
    m_summary->setToolTip(text);
}

void SweepPanel::trainBestConfig()
{
    const auto parsed = nlohmann::json::parse(m_snapshot.bestConfigJson, nullptr, false);
    if (parsed.is_discarded()) {
        showProblem(tr("This sweep has no completed trial yet"));
        return;
    }
    auto config = train::RunConfig::fromJson(parsed);
    if (!config) {
        showProblem(tr("The best trial's config is not valid: %1")
                        .arg(QString::fromStdString(config.error().message)));
        return;
    }
    Q_EMIT newRunFromConfig(*config);
}

} // namespace lathe::panels
