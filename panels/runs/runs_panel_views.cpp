#include "panels/runs/runs_panel.h"

#include "panels/bridge/run_list_model.h"
#include "panels/runs/run_group_model.h"

#include <QComboBox>
#include <QCompleter>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSet>
#include <QSplitter>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTreeView>

#include <algorithm>
#include <utility>

// The Runs panel's two views of the runs, the flat table and the tree of groups, and the
// selection across them.
namespace lathe::panels {

namespace {

/// What the "Group by" combos offer: the groups track::groupValue knows by name, then the
/// config keys runs are most often compared by (any other config key can be typed).
const QStringList kGroupKeys{QStringLiteral("repeat"),
                             QStringLiteral("sweep"),
                             QStringLiteral("tags"),
                             QStringLiteral("optimizer.name"),
                             QStringLiteral("optimizer.lr"),
                             QStringLiteral("optimizer.weight_decay"),
                             QStringLiteral("model.arch"),
                             QStringLiteral("model.widths"),
                             QStringLiteral("model.dropout"),
                             QStringLiteral("training.batch_size"),
                             QStringLiteral("training.epochs"),
                             QStringLiteral("training.seed"),
                             QStringLiteral("schedule.type"),
                             QStringLiteral("data.dataset")};

QComboBox *groupKeyCombo(const char *name, const QString &tip, QWidget *parent)
{
    auto *combo = new QComboBox(parent);
    combo->setObjectName(QString::fromLatin1(name));
    combo->setEditable(true);
    combo->setInsertPolicy(QComboBox::NoInsert);
    combo->addItem(RunsPanel::tr("none"));
    combo->addItems(kGroupKeys);
    combo->setMinimumContentsLength(14);
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->completer()->setCompletionMode(QCompleter::PopupCompletion);
    combo->completer()->setFilterMode(Qt::MatchContains);
    combo->setToolTip(tip);
    return combo;
}

/// Top to bottom as a tree shows its rows when every group is expanded.
std::pair<int, int> treeOrder(const QModelIndex &index)
{
    return index.parent().isValid() ? std::pair(index.parent().row(), index.row() + 1)
                                    : std::pair(index.row(), 0);
}

/// The rows selected in `view`, top to bottom.
QModelIndexList selectedRowsInOrder(const QAbstractItemView &view)
{
    auto rows = view.selectionModel()->selectedRows(RunListModel::NameColumn);
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) {
        return treeOrder(a) < treeOrder(b);
    });
    return rows;
}

} // namespace

void RunsPanel::buildTree()
{
    m_tree = new QTreeView(this);
    m_tree->setObjectName(QStringLiteral("runGroupsTree"));
    m_tree->setModel(m_groupProxy);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setEditTriggers(m_table->editTriggers());
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setAllColumnsShowFocus(true);
    m_tree->setWordWrap(false);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(RunListModel::NameColumn, Qt::AscendingOrder);
    m_tree->header()->setStretchLastSection(true);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    m_tree->addAction(m_deleteAction);
    m_tree->setMinimumHeight(m_table->minimumHeight());
    for (int column = 0; column < RunListModel::ColumnCount; ++column)
        m_tree->setColumnWidth(column, m_table->columnWidth(column));
    // A group's summary, "88.88 ± 8.88 % (88.88..88.88)" or a loss as wide, in its bold font:
    // shown whole, and beside the group's name, where a narrow dock still shows it.
    QFont bold = m_tree->font();
    bold.setBold(true);
    const int summary
        = QFontMetrics(bold).horizontalAdvance(QStringLiteral("0.8888 ± 0.08888 (0.8888..0.8888)"))
          + 12;
    int position = RunListModel::StatusColumn;
    for (const int column : RunGroupModel::kMetricColumns) {
        m_tree->setColumnWidth(column, summary);
        m_tree->header()->moveSection(m_tree->header()->visualIndex(column), ++position);
    }
    m_tree->setColumnWidth(RunListModel::NameColumn, 260);
}

QWidget *RunsPanel::buildViews()
{
    m_groups = new RunGroupModel(*m_store, *m_model, *m_proxy, this);
    m_groups->setObjectName(QStringLiteral("runGroupModel"));
    m_groupProxy = new QSortFilterProxyModel(this);
    m_groupProxy->setObjectName(QStringLiteral("runGroupsProxy"));
    m_groupProxy->setSourceModel(m_groups);
    m_groupProxy->setSortRole(RunListModel::SortRole);

    buildTree();
    connect(m_groups, &RunGroupModel::storeError, this, &RunsPanel::showMessage);
    connect(m_groups, &RunGroupModel::grouped, this, &RunsPanel::onRowsChanged);
    connect(m_tree->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RunsPanel::onSelectionChanged);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &RunsPanel::onCurrentChanged);
    connect(m_tree, &QTreeView::customContextMenuRequested, this, &RunsPanel::showContextMenu);
    connect(m_tree, &QTreeView::activated, this, [this](const QModelIndex &index) {
        // A group's double-click expands it; only a run is activated.
        if (const qint64 id = index.data(RunListModel::RunIdRole).toLongLong(); id != 0)
            Q_EMIT runActivated(id);
    });

    // Shown in the table's place while grouped (applyGroupBy).
    m_tree->hide();
    return m_tree;
}

QHBoxLayout *RunsPanel::buildGroupBar()
{
    m_groupBy = groupKeyCombo("groupByCombo",
                              tr("Group the runs by a repeat group, a sweep, their tags or any "
                                 "config key (type one); each group shows its count and the "
                                 "mean ± std (min..max) of each final metric"),
                              this);
    m_thenBy = groupKeyCombo("thenByCombo", tr("Group each group again by a second key"), this);
    m_thenBy->setEnabled(false);
    auto *row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Group by"), this));
    row->addWidget(m_groupBy);
    row->addWidget(new QLabel(tr("then by"), this));
    row->addWidget(m_thenBy);
    row->addStretch(1);
    for (QComboBox *combo : {m_groupBy, m_thenBy}) {
        connect(combo, &QComboBox::activated, this, &RunsPanel::applyGroupBy);
        connect(combo->lineEdit(), &QLineEdit::editingFinished, this, &RunsPanel::applyGroupBy);
    }
    return row;
}

void RunsPanel::applyGroupBy()
{
    std::vector<std::string> keys;
    for (QComboBox *combo : {m_groupBy, m_thenBy}) {
        const QString key = combo->currentText().trimmed();
        // The second key only refines a first one.
        if (key.isEmpty() || key == combo->itemText(0))
            break;
        keys.push_back(key.toStdString());
    }
    m_thenBy->setEnabled(!keys.empty());
    if (keys == m_groups->keys())
        return;
    const auto selected = selectedRunIds();
    m_groups->setKeys(std::move(keys));
    const bool grouped = !m_groups->keys().empty();
    if (grouped != isGrouped()) {
        // The view shown takes the other's room.
        auto sizes = m_splitter->sizes();
        std::swap(sizes[0], sizes[1]);
        m_table->setVisible(!grouped);
        m_tree->setVisible(grouped);
        m_splitter->setSizes(sizes);
    }
    // The runs picked in one view stay picked in the other (in the tree once its configs are
    // read).
    if (m_groups->isReading())
        connect(
            m_groups, &RunGroupModel::grouped, this, [this, selected] { selectRuns(selected); },
            Qt::SingleShotConnection);
    else
        selectRuns(selected);
    onSelectionChanged();
    onCurrentChanged(activeView()->currentIndex());
    onRowsChanged();
}

void RunsPanel::setViewStretch()
{
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 3);
    m_splitter->setStretchFactor(2, 2);
}

bool RunsPanel::isGrouped() const
{
    return m_tree && !m_tree->isHidden();
}

QAbstractItemView *RunsPanel::activeView() const
{
    return isGrouped() ? static_cast<QAbstractItemView *>(m_tree)
                       : static_cast<QAbstractItemView *>(m_table);
}

QModelIndex RunsPanel::viewIndexOfRun(qint64 id) const
{
    if (isGrouped())
        return m_groupProxy->mapFromSource(m_groups->indexOfRun(id));
    const int row = m_model->rowOf(id);
    return row < 0 ? QModelIndex() : m_proxy->mapFromSource(m_model->index(row, 0));
}

QList<qint64> RunsPanel::selectedRunIds() const
{
    QList<qint64> ids;
    QSet<qint64> seen;
    const auto add = [&](const QModelIndex &run) {
        const qint64 id = run.data(RunListModel::RunIdRole).toLongLong();
        if (id != 0 && m_model->rowOf(id) >= 0 && !seen.contains(id)) {
            seen.insert(id);
            ids.push_back(id);
        }
    };
    for (const auto &index : selectedRowsInOrder(*activeView())) {
        if (!isGrouped() || index.parent().isValid()) {
            add(index);
            continue;
        }
        // A group stands for its runs, in the order the tree sorts them.
        for (int child = 0; child < m_groupProxy->rowCount(index); ++child)
            add(m_groupProxy->index(child, 0, index));
    }
    return ids;
}

std::expected<std::array<compare::SideRef, 2>, QString> RunsPanel::abSides() const
{
    std::vector<compare::SideRef> groups, runs;
    for (const auto &index : selectedRowsInOrder(*activeView())) {
        if (isGrouped() && !index.parent().isValid()) {
            compare::SideRef group{0, m_groups->keys(), {}};
            for (const auto &value : index.data(RunGroupModel::GroupValuesRole).toStringList())
                group.values.push_back(value.toStdString());
            groups.push_back(std::move(group));
        } else if (const qint64 id = index.data(RunListModel::RunIdRole).toLongLong(); id != 0) {
            runs.push_back({id});
        }
    }
    if (!groups.empty() && !runs.empty())
        return std::unexpected(tr("Compare A/B compares two groups or two runs, not a group "
                                  "with a run: select two groups (Ctrl+click), or two runs"));
    const auto &picked = groups.empty() ? runs : groups;
    if (picked.size() == 2)
        return std::array{picked[0], picked[1]};
    if (!groups.empty())
        return std::unexpected(
            tr("Compare A/B compares exactly two groups (%1 selected)").arg(groups.size()));
    return std::unexpected(isGrouped() ? tr("Select two groups, or two runs, to compare A/B "
                                            "(Ctrl+click)")
                                       : tr("Select two runs to compare A/B (Ctrl+click), or "
                                            "group the runs and select two groups"));
}

void RunsPanel::selectRuns(const QList<qint64> &ids)
{
    QAbstractItemView *view = activeView();
    QItemSelection selection;
    QModelIndex first;
    for (const qint64 id : ids) {
        const auto index = viewIndexOfRun(id);
        if (!index.isValid())
            continue;
        selection.select(index, index.siblingAtColumn(RunListModel::ColumnCount - 1));
        if (!first.isValid())
            first = index;
    }
    auto *model = view->selectionModel();
    if (first.isValid())
        model->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
    model->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    // In the tree this also expands the run's group.
    if (first.isValid())
        view->scrollTo(first);
}

qint64 RunsPanel::currentRunId() const
{
    const auto index = activeView()->currentIndex();
    return index.isValid() ? index.data(RunListModel::RunIdRole).toLongLong() : 0;
}

} // namespace lathe::panels
