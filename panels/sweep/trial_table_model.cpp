#include "panels/sweep/trial_table_model.h"

#include "panels/bridge/run_row.h"

#include <QBrush>

#include <cmath>
#include <limits>

namespace lathe::panels {

namespace {

// Missing numbers sort before every real value.
constexpr double kNoTrialValue = -std::numeric_limits<double>::infinity();

QString optionalNumber(const std::optional<double> &value)
{
    return value && std::isfinite(*value) ? QString::number(*value, 'g', 5) : QStringLiteral("—");
}

} // namespace

QString trialStateText(track::TrialState state)
{
    return QString::fromUtf8(track::toString(state));
}

QColor trialStateColor(track::TrialState state)
{
    switch (state) {
    case track::TrialState::Running: return runStatusColor(track::RunStatus::Running);
    case track::TrialState::Completed: return runStatusColor(track::RunStatus::Finished);
    case track::TrialState::Pruned: return runStatusColor(track::RunStatus::Pruned);
    case track::TrialState::Failed: return runStatusColor(track::RunStatus::Failed);
    }
    return {};
}

TrialTableModel::TrialTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void TrialTableModel::setTrials(const std::vector<SweepAxis> &axes,
                                const std::vector<TrialItem> &trials, bool sameSweep)
{
    QStringList keys;
    for (const auto &axis : axes)
        keys << axis.key;
    if (!sameSweep || keys != m_keys || trials.size() < m_trials.size()) {
        beginResetModel();
        m_keys = keys;
        m_trials = trials;
        endResetModel();
        return;
    }
    const std::size_t old = m_trials.size();
    for (std::size_t i = 0; i < old; ++i) {
        m_trials[i] = trials[i];
    }
    if (old > 0)
        Q_EMIT dataChanged(index(0, 0), index(int(old) - 1, columnCount() - 1));
    if (trials.size() > old) {
        beginInsertRows({}, int(old), int(trials.size()) - 1);
        m_trials.insert(m_trials.end(), trials.begin() + qsizetype(old), trials.end());
        endInsertRows();
    }
}

int TrialTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_trials.size());
}

int TrialTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ParamColumn + int(m_keys.size());
}

QVariant TrialTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const QStringList kTitles{tr("Trial"), tr("State"), tr("Value"), tr("Run"),
                                     tr("Last value")};
    return section < ParamColumn ? kTitles[section] : m_keys.value(section - ParamColumn);
}

QVariant TrialTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const TrialItem &trial = m_trials[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole: return display(trial, index.column());
    case SortRole: return sortKey(trial, index.column());
    case RunIdRole: return trial.runId;
    case Qt::ForegroundRole:
        if (index.column() == StateColumn)
            return QBrush(trialStateColor(trial.state));
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == NumberColumn || index.column() == ValueColumn
            || index.column() == LastColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == StateColumn && !trial.error.isEmpty())
            return trial.error;
        if (index.column() == RunColumn && trial.runId != 0)
            return tr("Run %1").arg(trial.runId);
        return {};
    default: return {};
    }
}

QVariant TrialTableModel::display(const TrialItem &trial, int column) const
{
    switch (column) {
    case NumberColumn: return trial.number;
    case StateColumn: return trialStateText(trial.state);
    case ValueColumn: return optionalNumber(trial.value);
    case RunColumn:
        if (trial.runId == 0)
            return QStringLiteral("—");
        return trial.runName.isEmpty() ? QString::number(trial.runId)
                                       : tr("%1 (%2)").arg(trial.runName).arg(trial.runId);
    case LastColumn:
        return trial.lastValue
                   ? tr("%1 @ %2").arg(optionalNumber(trial.lastValue)).arg(trial.lastStep)
                   : QStringLiteral("—");
    default: return trial.params.value(column - ParamColumn);
    }
}

QVariant TrialTableModel::sortKey(const TrialItem &trial, int column) const
{
    const auto finite = [](const std::optional<double> &v) {
        return v && std::isfinite(*v) ? *v : kNoTrialValue;
    };
    switch (column) {
    case NumberColumn: return trial.number;
    case StateColumn: return trialStateText(trial.state);
    case ValueColumn: return finite(trial.value);
    case RunColumn: return trial.runId;
    case LastColumn: return finite(trial.lastValue);
    default: {
        const std::size_t axis = std::size_t(column - ParamColumn);
        if (axis < trial.coords.size() && std::isfinite(trial.coords[axis]))
            return trial.coords[axis];
        return kNoTrialValue;
    }
    }
}

} // namespace lathe::panels
