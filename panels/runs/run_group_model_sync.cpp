#include "panels/runs/run_group_model.h"

#include "core/track/run_store.h"
#include "panels/bridge/store_client.h"

#include <map>
#include <unordered_set>

// The live side of RunGroupModel: regrouping when the shown runs change, reading the params it
// needs on the store's thread, and applying new groups as minimal row changes.
namespace lathe::panels {

namespace {

using Params = std::vector<std::pair<qint64, track::RunParams>>;

} // namespace

void RunGroupModel::runsChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight)
{
    // A running run's duration ticks on every poll; anything else may move it or its numbers.
    const bool moved = topLeft.column() != RunListModel::DurationColumn
                       || bottomRight.column() != RunListModel::DurationColumn;
    for (int row = topLeft.row(); row <= bottomRight.row(); ++row) {
        const RunRow &run = m_runs->runRow(row);
        const auto child = indexOfRun(run.id);
        if (child.isValid())
            Q_EMIT dataChanged(child.siblingAtColumn(topLeft.column()),
                               child.siblingAtColumn(bottomRight.column()));
        // Steering may change a live run's config: read its params again.
        if (moved
            && (run.status == track::RunStatus::Running || run.status == track::RunStatus::Paused))
            m_params.remove(run.id);
    }
    if (moved)
        scheduleRegroup();
}

void RunGroupModel::scheduleRegroup()
{
    if (!m_keys.empty())
        m_regroup.start();
}

std::vector<track::RunInfo> RunGroupModel::shownRuns() const
{
    std::vector<track::RunInfo> runs;
    runs.reserve(std::size_t(m_shown->rowCount()));
    for (int row = 0; row < m_shown->rowCount(); ++row) {
        const qint64 id = m_shown->index(row, 0).data(RunListModel::RunIdRole).toLongLong();
        const int at = m_runs->rowOf(id);
        if (at < 0)
            continue;
        track::RunInfo run;
        run.id = id;
        for (const auto &tag : m_runs->runRow(at).tags)
            run.tags.push_back(tag.toStdString());
        runs.push_back(std::move(run));
    }
    return runs;
}

void RunGroupModel::regroup()
{
    m_regroup.stop();
    // The answer of the read in flight regroups with whatever changed meanwhile.
    if (m_keys.empty() || m_reading)
        return;
    std::vector<std::int64_t> missing;
    auto groups = track::groupRuns(m_keys, shownRuns(), [&](const track::RunInfo &run) {
        const auto found = m_params.constFind(run.id);
        if (found != m_params.constEnd())
            return *found;
        missing.push_back(run.id);
        return track::RunParams{};
    });
    if (!missing.empty()) {
        readParams(std::move(missing));
        return;
    }
    applyGroups(std::move(groups));
    Q_EMIT grouped();
}

void RunGroupModel::readParams(std::vector<std::int64_t> ids)
{
    m_reading = true;
    m_store->query(
        this,
        [ids = std::move(ids)](track::RunStore &store) -> Result<Params> {
            Params out;
            out.reserve(ids.size());
            for (const auto id : ids) {
                auto params = store.params(id);
                // A run deleted since the poll leaves the groups at the next one.
                if (!params && params.error().code != ErrorCode::NotFound)
                    return std::unexpected(params.error());
                out.emplace_back(id, params ? std::move(*params) : track::RunParams{});
            }
            return out;
        },
        [this](Result<Params> read) {
            m_reading = false;
            if (!read) {
                Q_EMIT storeError(tr("Cannot read the runs' configs to group them: %1")
                                      .arg(QString::fromStdString(read.error().message)));
                return;
            }
            for (auto &[id, params] : *read)
                m_params.insert(id, std::move(params));
            regroup();
        });
}

void RunGroupModel::applyGroups(std::vector<track::RunGroup> fresh)
{
    std::map<std::vector<std::string>, int> order;
    for (std::size_t i = 0; i < fresh.size(); ++i)
        order.emplace(fresh[i].values, int(i));
    for (int row = int(m_groups.size()) - 1; row >= 0; --row) {
        if (order.contains(m_groups[std::size_t(row)].group.values))
            continue;
        beginRemoveRows({}, row, row);
        m_groups.erase(m_groups.begin() + row);
        rebuildIndex();
        endRemoveRows();
    }
    std::vector<bool> kept(fresh.size());
    for (std::size_t row = 0; row < m_groups.size(); ++row) {
        const int at = order.at(m_groups[row].group.values);
        kept[std::size_t(at)] = true;
        syncChildren(int(row), std::move(fresh[std::size_t(at)].runIds));
    }
    std::vector<Group> added;
    for (std::size_t i = 0; i < fresh.size(); ++i)
        if (!kept[i]) {
            Group &group = added.emplace_back();
            group.id = m_nextId++;
            group.group = std::move(fresh[i]);
        }
    if (!added.empty()) {
        const int first = int(m_groups.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        std::move(added.begin(), added.end(), std::back_inserter(m_groups));
        rebuildIndex();
        endInsertRows();
    }
    for (auto &group : m_groups) {
        group.order = order.at(group.group.values);
        summarise(group);
    }
    rebuildIndex();
    if (!m_groups.empty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_groups.size()) - 1, columnCount() - 1));
}

void RunGroupModel::syncChildren(int row, std::vector<std::int64_t> ids)
{
    auto &current = m_groups[std::size_t(row)].group.runIds;
    const std::unordered_set<std::int64_t> wanted(ids.begin(), ids.end());
    const QModelIndex parent = index(row, 0);
    // Runs that left, as ranges from the bottom (a filter may take many at once).
    for (int end = int(current.size()) - 1; end >= 0;) {
        if (wanted.contains(current[std::size_t(end)])) {
            --end;
            continue;
        }
        int begin = end;
        while (begin > 0 && !wanted.contains(current[std::size_t(begin - 1)]))
            --begin;
        beginRemoveRows(parent, begin, end);
        current.erase(current.begin() + begin, current.begin() + end + 1);
        endRemoveRows();
        end = begin - 1;
    }
    const std::unordered_set<std::int64_t> have(current.begin(), current.end());
    std::erase_if(ids, [&](std::int64_t id) { return have.contains(id); });
    if (ids.empty())
        return;
    const int first = int(current.size());
    beginInsertRows(parent, first, first + int(ids.size()) - 1);
    current.insert(current.end(), ids.begin(), ids.end());
    endInsertRows();
}

void RunGroupModel::rebuildIndex()
{
    m_groupRow.clear();
    m_where.clear();
    for (std::size_t row = 0; row < m_groups.size(); ++row) {
        m_groupRow.insert(m_groups[row].id, int(row));
        const auto &ids = m_groups[row].group.runIds;
        for (std::size_t child = 0; child < ids.size(); ++child)
            m_where.insert(ids[child], {int(row), int(child)});
    }
}

} // namespace lathe::panels
