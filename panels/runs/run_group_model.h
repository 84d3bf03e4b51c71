#pragma once

#include "core/stats/comparison.h"
#include "core/track/run_groups.h"
#include "panels/bridge/run_list_model.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QTimer>

#include <array>
#include <string>
#include <vector>

namespace lathe::panels {

class StoreClient;

/// The runs a filter of a RunListModel shows, grouped by one or more keys (track::groupRuns:
/// "repeat", "sweep", "tags" or a config key) as a two-level tree with the RunListModel's
/// columns. A group row shows its keys' values (Name), its run count (Status), mean ± std
/// (min..max) of each final metric over the runs that have it (stats::summarize, the numbers
/// `lathe-cli compare --group-by` prints) and, in the other columns, the value its runs share;
/// its children are the runs, read from the RunListModel (editable as there). SortRole sorts
/// groups by value order, count or metric mean. Config keys need the runs' params: they are
/// read on the StoreClient's thread and cached (a live run's again when its row changes, as
/// steering may change its config). Live changes (a run added, removed, finishing, retagged)
/// are applied as minimal row changes, so expansion and selection survive a poll. GUI thread
/// only.
class RunGroupModel : public QAbstractItemModel
{
    Q_OBJECT

public:
    enum Role {
        /// A group row's member run ids (QList<qint64>); a run row's is its own id.
        MemberIdsRole = RunListModel::RunIdRole + 1,
        /// A group row's values, one per key of keys() (QStringList); none for a run row.
        GroupValuesRole,
    };

    /// Groups the runs `shown` lists (a filter over `runs`, rows with RunListModel::RunIdRole);
    /// reads params through `store`. All three must outlive the model.
    RunGroupModel(StoreClient &store, RunListModel &runs, QAbstractItemModel &shown,
                  QObject *parent = nullptr);
    ~RunGroupModel() override;

    /// Groups by `keys` (none: no rows). Params still to read are read first (see grouped()).
    void setKeys(std::vector<std::string> keys);
    const std::vector<std::string> &keys() const { return m_keys; }
    /// True while params are being read for a regroup.
    bool isReading() const { return m_reading; }
    /// The row showing run `id` under its group; invalid when it is in none.
    QModelIndex indexOfRun(qint64 id) const;

    /// The columns summarised per group: the final metrics the runs table shows.
    static constexpr std::array kMetricColumns{RunListModel::BestValAccuracyColumn,
                                               RunListModel::TestAccuracyColumn,
                                               RunListModel::TrainLossColumn};

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

Q_SIGNALS:
    /// The groups were (re)computed for the current keys and the shown runs.
    void grouped();
    /// Reading the params failed; `message` says why.
    void storeError(const QString &message);

private:
    struct Group
    {
        quintptr id = 0; ///< stable while the group lives: its runs' internal id
        track::RunGroup group;
        std::array<stats::Summary, kMetricColumns.size()> metrics{};
        QStringList shared; ///< per column: the value every run has, else empty
        int order = 0;      ///< position in groupRuns' order (numbers as numbers)
    };

    void scheduleRegroup();
    void regroup();
    void readParams(std::vector<std::int64_t> ids);
    std::vector<track::RunInfo> shownRuns() const;
    void applyGroups(std::vector<track::RunGroup> fresh);
    void syncChildren(int row, std::vector<std::int64_t> ids);
    void summarise(Group &group) const;
    void rebuildIndex();
    void runsChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight);
    QVariant groupData(const Group &group, int column, int role) const;
    QString groupText(const Group &group, int column) const;
    QVariant groupSortKey(const Group &group, int column) const;
    /// The RunListModel cell of run row `child`.
    QModelIndex sourceIndex(const QModelIndex &child, int column) const;

    StoreClient *m_store = nullptr;
    RunListModel *m_runs = nullptr;
    QAbstractItemModel *m_shown = nullptr;
    std::vector<std::string> m_keys;
    std::vector<Group> m_groups;
    QHash<quintptr, int> m_groupRow;            ///< Group::id -> row
    QHash<qint64, std::pair<int, int>> m_where; ///< run id -> (group row, child row)
    QHash<qint64, track::RunParams> m_params;   ///< cached RunStore::params
    QTimer m_regroup;
    quintptr m_nextId = 1;
    bool m_reading = false;
};

} // namespace lathe::panels
