#include "panels/runs/run_group_model.h"

#include "core/util/join.h"

#include <QFont>

#include <cmath>
#include <limits>

namespace lathe::panels {

namespace {

/// The RunRow field behind each of RunGroupModel's metric columns, in the same order.
constexpr std::array<std::optional<double> RunRow::*, 3> kMetricFields{
    &RunRow::bestValAccuracy, &RunRow::testAccuracy, &RunRow::finalTrainLoss};

/// The columns whose common value a group row shows (times and durations never agree).
constexpr std::array kSharedColumns{RunListModel::WorkersColumn, RunListModel::ModelColumn,
                                    RunListModel::DatasetColumn, RunListModel::OptimizerColumn,
                                    RunListModel::LrColumn,      RunListModel::EpsilonColumn,
                                    RunListModel::ParentColumn,  RunListModel::TagsColumn};

/// Accuracies read in points, as the runs table and `lathe-cli compare` show them.
bool inPercent(int column)
{
    return column != RunListModel::TrainLossColumn;
}

QString number(double value, int column)
{
    return inPercent(column) ? QString::number(value * 100.0, 'f', 2)
                             : QString::number(value, 'g', 4);
}

/// "86.20 ± 0.41 % (85.70..86.80)": the format of `lathe-cli compare --group-by`, one value
/// alone, "—" without any.
QString cellSummaryText(const stats::Summary &s, int column)
{
    if (s.count == 0)
        return QStringLiteral("—");
    const QString unit = inPercent(column) ? QStringLiteral(" %") : QString();
    if (s.count == 1)
        return number(s.mean, column) + unit;
    return QStringLiteral("%1 ± %2%3 (%4..%5)")
        .arg(number(s.mean, column), number(s.stddev, column), unit, number(s.min, column),
             number(s.max, column));
}

QString summaryTip(const stats::Summary &s, const QString &metric, std::size_t runs, int column)
{
    if (s.count == 0)
        return RunGroupModel::tr("No run of this group has %1 yet").arg(metric);
    return RunGroupModel::tr("%1 over %2 of %3 runs: mean %4, sd %5, median %6, min %7, max %8")
        .arg(metric)
        .arg(s.count)
        .arg(runs)
        .arg(number(s.mean, column), s.count > 1 ? number(s.stddev, column) : QStringLiteral("—"),
             number(s.median, column), number(s.min, column), number(s.max, column));
}

int metricSlot(int column)
{
    for (std::size_t i = 0; i < kMetricFields.size(); ++i)
        if (RunGroupModel::kMetricColumns[i] == column)
            return int(i);
    return -1;
}

} // namespace

RunGroupModel::RunGroupModel(StoreClient &store, RunListModel &runs, QAbstractItemModel &shown,
                             QObject *parent)
    : QAbstractItemModel(parent)
    , m_store(&store)
    , m_runs(&runs)
    , m_shown(&shown)
{
    m_regroup.setSingleShot(true);
    m_regroup.setInterval(0);
    connect(&m_regroup, &QTimer::timeout, this, &RunGroupModel::regroup);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_shown, signal, this, &RunGroupModel::scheduleRegroup);
    connect(m_shown, &QAbstractItemModel::modelReset, this, &RunGroupModel::scheduleRegroup);
    connect(m_runs, &QAbstractItemModel::dataChanged, this, &RunGroupModel::runsChanged);
}

RunGroupModel::~RunGroupModel() = default;

void RunGroupModel::setKeys(std::vector<std::string> keys)
{
    if (keys == m_keys)
        return;
    beginResetModel();
    m_keys = std::move(keys);
    m_groups.clear();
    rebuildIndex();
    endResetModel();
    regroup();
}

QModelIndex RunGroupModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, quintptr(0));
    return createIndex(row, column, m_groups[std::size_t(parent.row())].id);
}

QModelIndex RunGroupModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == 0)
        return {};
    const int row = m_groupRow.value(child.internalId(), -1);
    return row < 0 ? QModelIndex() : createIndex(row, 0, quintptr(0));
}

int RunGroupModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_groups.size());
    if (parent.internalId() != 0 || parent.column() != 0)
        return 0;
    return int(m_groups[std::size_t(parent.row())].group.runIds.size());
}

int RunGroupModel::columnCount(const QModelIndex &) const
{
    return RunListModel::ColumnCount;
}

QModelIndex RunGroupModel::sourceIndex(const QModelIndex &child, int column) const
{
    const int group = m_groupRow.value(child.internalId(), -1);
    if (group < 0)
        return {};
    const auto &ids = m_groups[std::size_t(group)].group.runIds;
    if (child.row() >= int(ids.size()))
        return {};
    const int row = m_runs->rowOf(ids[std::size_t(child.row())]);
    return row < 0 ? QModelIndex() : m_runs->index(row, column);
}

QModelIndex RunGroupModel::indexOfRun(qint64 id) const
{
    const auto found = m_where.constFind(id);
    if (found == m_where.constEnd())
        return {};
    return createIndex(found->second, 0, m_groups[std::size_t(found->first)].id);
}

QVariant RunGroupModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    if (index.internalId() == 0)
        return groupData(m_groups[std::size_t(index.row())], index.column(), role);
    const auto source = sourceIndex(index, index.column());
    if (role == MemberIdsRole)
        return source.isValid() ? QVariant::fromValue(QList<qint64>{m_runs->runId(source.row())})
                                : QVariant();
    if (role == GroupValuesRole)
        return {};
    return source.data(role);
}

QVariant RunGroupModel::groupData(const Group &group, int column, int role) const
{
    const int metric = metricSlot(column);
    const auto &ids = group.group.runIds;
    switch (role) {
    case Qt::DisplayRole: return groupText(group, column);
    case RunListModel::SortRole: return groupSortKey(group, column);
    case Qt::ToolTipRole:
        if (column == RunListModel::NameColumn)
            return QString::fromStdString(group.group.label(m_keys));
        if (metric >= 0)
            return summaryTip(group.metrics[std::size_t(metric)],
                              m_runs->headerData(column, Qt::Horizontal).toString(), ids.size(),
                              column);
        return {};
    case MemberIdsRole: return QVariant::fromValue(QList<qint64>(ids.begin(), ids.end()));
    case GroupValuesRole: {
        QStringList values;
        for (const auto &value : group.group.values)
            values.append(QString::fromStdString(value));
        return values;
    }
    case Qt::TextAlignmentRole: {
        if (metric >= 0)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        // As the column's runs are (numbers to the right).
        const int first = ids.empty() ? -1 : m_runs->rowOf(ids.front());
        return first < 0 ? QVariant() : m_runs->index(first, column).data(role);
    }
    case Qt::FontRole: {
        QFont font;
        font.setBold(true);
        return font;
    }
    default: return {};
    }
}

QString RunGroupModel::groupText(const Group &group, int column) const
{
    const std::size_t runs = group.group.runIds.size();
    if (column == RunListModel::NameColumn)
        return QString::fromStdString(util::join(group.group.values, " · "));
    if (column == RunListModel::StatusColumn)
        return runs == 1 ? tr("1 run") : tr("%1 runs").arg(runs);
    if (const int metric = metricSlot(column); metric >= 0)
        return cellSummaryText(group.metrics[std::size_t(metric)], column);
    return group.shared.value(column);
}

QVariant RunGroupModel::groupSortKey(const Group &group, int column) const
{
    if (column == RunListModel::NameColumn)
        return group.order;
    if (column == RunListModel::StatusColumn)
        return int(group.group.runIds.size());
    if (const int metric = metricSlot(column); metric >= 0) {
        // Groups without the metric sort before every value, as runs do.
        const double mean = group.metrics[std::size_t(metric)].mean;
        return std::isnan(mean) ? -std::numeric_limits<double>::infinity() : mean;
    }
    return group.shared.value(column).toLower();
}

QVariant RunGroupModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole) {
        if (section == RunListModel::NameColumn)
            return tr("Group / name");
        if (section == RunListModel::StatusColumn)
            return tr("Runs / status");
    }
    return m_runs->headerData(section, orientation, role);
}

Qt::ItemFlags RunGroupModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    if (index.internalId() == 0)
        return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    return m_runs->flags(sourceIndex(index, index.column())) | Qt::ItemNeverHasChildren;
}

bool RunGroupModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || index.internalId() == 0)
        return false;
    return m_runs->setData(sourceIndex(index, index.column()), value, role);
}

void RunGroupModel::summarise(Group &group) const
{
    const auto &ids = group.group.runIds;
    for (std::size_t m = 0; m < kMetricFields.size(); ++m) {
        std::vector<double> values;
        values.reserve(ids.size());
        for (const auto id : ids)
            if (const int row = m_runs->rowOf(id); row >= 0)
                values.push_back((m_runs->runRow(row).*kMetricFields[m])
                                     .value_or(std::numeric_limits<double>::quiet_NaN()));
        group.metrics[m] = stats::summarize(values);
    }
    group.shared = QStringList(RunListModel::ColumnCount);
    for (const int column : kSharedColumns) {
        QString common;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const int row = m_runs->rowOf(ids[i]);
            const QString text = row < 0 ? QString() : m_runs->index(row, column).data().toString();
            if (i > 0 && text != common) {
                common.clear();
                break;
            }
            common = text;
        }
        group.shared[column] = common;
    }
}

} // namespace lathe::panels
