#include "panels/bridge/run_list_model.h"

#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/track/run_summary.h"
#include "panels/bridge/store_client.h"

#include <algorithm>

// The store side of RunListModel: loading, applying a load as minimal row changes, and the
// hidden rows of pending deletes.
namespace lathe::panels {

namespace {

/// Run `id`'s param dist.world_size (written with its other params when rank 0 creates it),
/// 1 when it has none or it is not a whole number above 1.
Result<int> readWorldSize(track::RunStore &store, qint64 id)
{
    auto params = store.params(id);
    if (!params)
        return std::unexpected(params.error());
    for (const auto &[key, value] : *params)
        if (key == "dist.world_size")
            return std::max(1, int(track::parseNumber(value).value_or(1)));
    return 1;
}

/// Fills `row`'s privacy spent (its last privacy/epsilon and privacy/delta) from `known`, reading
/// the store when the run is new, has changed status, or runs (each step spends more).
Result<void> readPrivacy(track::RunStore &store, RunRow &row, bool seen, RunPrivacyRead &known)
{
    if (!seen || known.status != row.status || row.status == track::RunStatus::Running) {
        auto epsilon = store.lastMetric(row.id, track::keys::kPrivacyEpsilon);
        if (!epsilon)
            return std::unexpected(epsilon.error());
        std::optional<double> delta;
        if (*epsilon) {
            auto read = store.lastMetric(row.id, track::keys::kPrivacyDelta);
            if (!read)
                return std::unexpected(read.error());
            delta = *read;
        }
        known = {row.status, *epsilon, delta};
    }
    row.privacyEpsilon = known.epsilon;
    row.privacyDelta = known.delta;
    return {};
}

} // namespace

void RunListModel::refresh()
{
    if (m_loading || m_editsInFlight > 0) {
        m_reloadAgain = true;
        return;
    }
    m_loading = true;
    m_reloadAgain = false;
    const quint64 generation = m_editGeneration;
    m_store->query(
        this,
        [worldSizes = m_worldSizes,
         privacy = m_privacy](track::RunStore &store) -> Result<std::vector<RunRow>> {
            auto summaries = store.runSummaries();
            if (!summaries)
                return std::unexpected(summaries.error());
            std::vector<RunRow> rows;
            rows.reserve(summaries->size());
            for (const auto &summary : *summaries) {
                rows.push_back(RunRow::fromSummary(summary));
                auto &known = (*worldSizes)[summary.run.id];
                if (known.second == 0 || known.first != summary.run.status) {
                    auto size = readWorldSize(store, summary.run.id);
                    if (!size)
                        return std::unexpected(size.error());
                    known = {summary.run.status, *size};
                }
                rows.back().worldSize = known.second;
                const bool seen = privacy->contains(summary.run.id);
                if (auto ok = readPrivacy(store, rows.back(), seen, (*privacy)[summary.run.id]);
                    !ok)
                    return std::unexpected(ok.error());
            }
            return rows;
        },
        [this, generation](Result<std::vector<RunRow>> rows) {
            m_loading = false;
            if (!rows) {
                Q_EMIT storeError(tr("Cannot read the runs: %1")
                                      .arg(QString::fromStdString(rows.error().message)));
            } else if (generation != m_editGeneration) {
                // An edit was made since the read began: the read may not have it and would
                // flash the old value back.
                m_reloadAgain = true;
            } else {
                applyRows(std::move(*rows));
            }
            if (m_reloadAgain)
                refresh();
        });
}

void RunListModel::applyRows(std::vector<RunRow> rows)
{
    QHash<qint64, int> seen;
    seen.reserve(int(rows.size()));
    std::vector<RunRow> added;
    for (auto &incoming : rows) {
        if (m_hidden.contains(incoming.id))
            continue;
        seen.insert(incoming.id, 0);
        const int row = rowOf(incoming.id);
        if (row < 0)
            added.push_back(std::move(incoming));
        else
            updateRow(row, std::move(incoming));
    }
    removeMissing(seen);
    appendRows(std::move(added));
    m_loaded = true;
    Q_EMIT loaded();
}

void RunListModel::updateRow(int row, RunRow incoming)
{
    RunRow &current = m_rows[std::size_t(row)];
    if (current == incoming) {
        // An unfinished run's duration grows without any stored change.
        if (current.startedAt > 0 && current.endedAt <= 0)
            Q_EMIT dataChanged(index(row, DurationColumn), index(row, DurationColumn));
        return;
    }
    const bool renamed = current.name != incoming.name;
    current = std::move(incoming);
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    if (renamed)
        parentRenamed(current.id);
}

void RunListModel::parentRenamed(qint64 id)
{
    // Renames are rare: a scan for the runs that show this one as their parent is cheap.
    for (int row = 0; row < rowCount(); ++row) {
        if (runRow(row).parentId == id)
            Q_EMIT dataChanged(index(row, ParentColumn), index(row, ParentColumn));
    }
}

void RunListModel::removeMissing(const QHash<qint64, int> &seen)
{
    // Runs deleted by another process; rare, so row by row from the bottom.
    for (int row = rowCount() - 1; row >= 0; --row) {
        if (seen.contains(runId(row)))
            continue;
        beginRemoveRows({}, row, row);
        m_rows.erase(m_rows.begin() + row);
        endRemoveRows();
        rebuildIndex();
    }
}

void RunListModel::appendRows(std::vector<RunRow> rows)
{
    if (rows.empty())
        return;
    const int first = rowCount();
    beginInsertRows({}, first, first + int(rows.size()) - 1);
    for (auto &row : rows) {
        m_index.insert(row.id, int(m_rows.size()));
        m_rows.push_back(std::move(row));
    }
    endInsertRows();
}

void RunListModel::rebuildIndex()
{
    m_index.clear();
    m_index.reserve(int(m_rows.size()));
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        m_index.insert(m_rows[i].id, int(i));
}

void RunListModel::hideRuns(const QList<qint64> &ids)
{
    for (const qint64 id : ids) {
        const int row = rowOf(id);
        if (row < 0)
            continue;
        beginRemoveRows({}, row, row);
        m_hidden.insert(id, std::move(m_rows[std::size_t(row)]));
        m_rows.erase(m_rows.begin() + row);
        rebuildIndex();
        endRemoveRows();
    }
}

void RunListModel::restoreRuns(const QList<qint64> &ids)
{
    std::vector<RunRow> rows;
    for (const qint64 id : ids) {
        if (auto it = m_hidden.find(id); it != m_hidden.end()) {
            rows.push_back(std::move(*it));
            m_hidden.erase(it);
        }
    }
    appendRows(std::move(rows));
}

const RunRow *RunListModel::hiddenRun(qint64 id) const
{
    const auto it = m_hidden.constFind(id);
    return it == m_hidden.constEnd() ? nullptr : &*it;
}

void RunListModel::deleteHiddenRuns(const QList<qint64> &ids)
{
    std::vector<std::int64_t> doomed;
    for (const qint64 id : ids) {
        if (m_hidden.contains(id))
            doomed.push_back(id);
    }
    if (doomed.empty())
        return;
    std::vector<track::RunEdit> edits;
    for (const auto id : doomed)
        edits.push_back(track::DeleteRun{id});
    noteEdit();
    ++m_editsInFlight;
    m_store->edit(this, std::move(edits), [this, doomed](Result<void> done) {
        for (const auto id : doomed)
            m_hidden.remove(id);
        editDone(done, tr("Cannot delete the run"));
    });
}

} // namespace lathe::panels
