#pragma once

#include "panels/bridge/sweep_snapshot.h"

#include <QAbstractTableModel>

#include <vector>

namespace lathe::panels {

/// A sweep's trials as a table: trial number, state (coloured like run statuses), value, run,
/// the last intermediate value (with its step), then one column per key of the space. Trials
/// only ever get added or change, so a new snapshot of the same sweep updates rows in place and
/// appends new ones: selection and sorting survive a poll. GUI thread only.
class TrialTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { NumberColumn, StateColumn, ValueColumn, RunColumn, LastColumn, ParamColumn };
    enum Role {
        SortRole = Qt::UserRole + 1, ///< a number (NaN-free) or text, for proxy sorting
        RunIdRole                    ///< the trial's run id (qint64; 0 = none)
    };

    explicit TrialTableModel(QObject *parent = nullptr);

    /// Shows `trials` of a sweep whose space is `axes`; `sameSweep` keeps rows in place.
    void setTrials(const std::vector<SweepAxis> &axes, const std::vector<TrialItem> &trials,
                   bool sameSweep);
    const TrialItem &trial(int row) const { return m_trials[std::size_t(row)]; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QVariant display(const TrialItem &trial, int column) const;
    QVariant sortKey(const TrialItem &trial, int column) const;

    QStringList m_keys;
    std::vector<TrialItem> m_trials;
};

/// "completed" for TrialState::Completed.
QString trialStateText(track::TrialState state);
/// The colour of a trial state: its run status's (run_row.h: completed as finished).
QColor trialStateColor(track::TrialState state);

} // namespace lathe::panels
