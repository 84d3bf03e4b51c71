#include "panels/bridge/run_list_model.h"

#include "core/track/run_store.h"
#include "panels/bridge/store_client.h"

#include <QBrush>
#include <QDateTime>

#include <algorithm>
#include <cmath>
#include <limits>

namespace lathe::panels {

namespace {

// Missing numbers sort before every real value.
constexpr double kNoMetricValue = -std::numeric_limits<double>::infinity();

double now()
{
    return double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
}

// "Training time 2m 05s · wall time 11m 36s (started 2026-12-03 10:02:11, ended ...)", and
// since when a live run is paused.
QString durationTip(const RunRow &row)
{
    if (row.startedAt <= 0)
        return RunListModel::tr("Not started");
    const double at = now();
    const auto clock = [](double seconds) {
        return QDateTime::fromMSecsSinceEpoch(qint64(seconds * 1000.0))
            .toString(QStringLiteral("yyyy-MM-dd hh:mm:ss"));
    };
    QString tip = RunListModel::tr("Training time %1 · wall time %2 (started %3")
                      .arg(formatDuration(row.durationSeconds(at)),
                           formatDuration(row.wallSeconds(at)), clock(row.startedAt));
    tip += row.endedAt > 0 ? RunListModel::tr(", ended %1)").arg(clock(row.endedAt))
                           : QStringLiteral(")");
    if (row.idle.since > 0)
        tip += RunListModel::tr("; paused since %1").arg(clock(row.idle.since));
    return tip;
}

// "Differential privacy (DP-SGD): epsilon 2.99999735 at delta 1e-05 ...", or none for a run that is
// not private.
QVariant privacyTip(const RunRow &row)
{
    if (!row.privacyEpsilon)
        return {};
    return RunListModel::tr("Differential privacy (DP-SGD): epsilon %1 at delta %2, spent by the "
                            "run's last step (its privacy/epsilon)")
        .arg(QString::number(*row.privacyEpsilon, 'g', 9),
             row.privacyDelta ? QString::number(*row.privacyDelta, 'g', 3) : QStringLiteral("—"));
}

} // namespace

RunListModel::RunListModel(StoreClient &store, QObject *parent)
    : QAbstractTableModel(parent)
    , m_store(&store)
{
    connect(&m_poll, &QTimer::timeout, this, &RunListModel::refresh);
    m_poll.start(m_pollInterval);
    refresh();
}

RunListModel::~RunListModel() = default;

int RunListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RunListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const QStringList kTitles{
        tr("Name"),     tr("Status"),  tr("Created"),    tr("Duration"), tr("Workers"),
        tr("Model"),    tr("Dataset"), tr("Optimizer"),  tr("LR"),       tr("Best val"),
        tr("Test acc"), tr("Epsilon"), tr("Train loss"), tr("Parent"),   tr("Tags")};
    return kTitles.value(section);
}

Qt::ItemFlags RunListModel::flags(const QModelIndex &index) const
{
    auto f = QAbstractTableModel::flags(index);
    if (index.column() == NameColumn || index.column() == TagsColumn)
        f |= Qt::ItemIsEditable;
    return f;
}

QVariant RunListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const RunRow &row = runRow(index.row());
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return displayData(row, column);
    case Qt::EditRole:
        return column == TagsColumn ? row.tags.join(QStringLiteral(", "))
                                    : displayData(row, column);
    case SortRole: return sortData(row, column);
    case FilterRole: return row.filterText;
    case RunIdRole: return row.id;
    case Qt::ForegroundRole:
        if (column == StatusColumn && runStatusColor(row.status).isValid())
            return QBrush(runStatusColor(row.status));
        return {};
    case Qt::ToolTipRole:
        if (column == StatusColumn && !row.errorMessage.isEmpty())
            return row.errorMessage;
        if (column == ParentColumn && row.parentId != 0)
            return lineage(row);
        if (column == DurationColumn)
            return durationTip(row);
        if (column == DatasetColumn && !row.dataSource.isEmpty())
            return row.dataSource;
        if (column == EpsilonColumn)
            return privacyTip(row);
        if (column == WorkersColumn)
            return row.worldSize > 1 ? tr("Data parallel: %1 worker processes trained this run")
                                           .arg(row.worldSize)
                                     : tr("One process");
        return column == NameColumn && !row.notes.isEmpty() ? row.notes : QVariant();
    case Qt::TextAlignmentRole:
        if (column == DurationColumn || column == WorkersColumn || column == LrColumn
            || column == BestValAccuracyColumn || column == TestAccuracyColumn
            || column == EpsilonColumn || column == TrainLossColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default: return {};
    }
}

QVariant RunListModel::displayData(const RunRow &row, int column) const
{
    switch (column) {
    case NameColumn: return row.name;
    case StatusColumn: return runStatusText(row.status);
    case CreatedColumn:
        return QDateTime::fromMSecsSinceEpoch(qint64(row.createdAt * 1000.0))
            .toString(QStringLiteral("yyyy-MM-dd hh:mm"));
    case DurationColumn: return formatDuration(row.durationSeconds(now()));
    case WorkersColumn: return QString::number(row.worldSize);
    case ModelColumn: return row.model;
    case DatasetColumn: return row.dataset;
    case OptimizerColumn: return row.optimizer;
    case LrColumn: return row.lr ? QString::number(*row.lr, 'g', 3) : QStringLiteral("—");
    case BestValAccuracyColumn: return formatPercent(row.bestValAccuracy);
    case TestAccuracyColumn: return formatPercent(row.testAccuracy);
    case EpsilonColumn:
        return row.privacyEpsilon ? QString::number(*row.privacyEpsilon, 'f', 2) : QString();
    case TrainLossColumn: return formatLoss(row.finalTrainLoss);
    case ParentColumn:
        if (row.parentId == 0)
            return QString();
        if (const QString name = parentName(row); !name.isEmpty())
            return name;
        return tr("run %1").arg(row.parentId);
    case TagsColumn: return row.tags.join(QStringLiteral(", "));
    default: return {};
    }
}

QString RunListModel::parentName(const RunRow &row) const
{
    if (row.parentId == 0)
        return {};
    if (const int parent = rowOf(row.parentId); parent >= 0)
        return runRow(parent).name;
    const RunRow *hidden = hiddenRun(row.parentId);
    return hidden ? hidden->name : QString();
}

QString RunListModel::lineage(const RunRow &row) const
{
    return row.parentId == 0 ? QString() : lineageText(row.parentId, parentName(row));
}

QVariant RunListModel::sortData(const RunRow &row, int column) const
{
    const auto number
        = [](const std::optional<double> &v) { return v && !std::isnan(*v) ? *v : kNoMetricValue; };
    switch (column) {
    case StatusColumn: return int(row.status);
    case CreatedColumn: return row.createdAt;
    case DurationColumn: return row.durationSeconds(now());
    case WorkersColumn: return row.worldSize;
    case LrColumn: return number(row.lr);
    case BestValAccuracyColumn: return number(row.bestValAccuracy);
    case TestAccuracyColumn: return number(row.testAccuracy);
    case EpsilonColumn: return number(row.privacyEpsilon);
    case TrainLossColumn: return number(row.finalTrainLoss);
    default: return displayData(row, column).toString().toLower();
    }
}

bool RunListModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || role != Qt::EditRole || index.row() >= rowCount())
        return false;
    if (index.column() == NameColumn)
        return renameRun(index.row(), value.toString().trimmed());
    if (index.column() == TagsColumn)
        return setTags(index.row(), value.toString());
    return false;
}

bool RunListModel::renameRun(int row, const QString &name)
{
    RunRow &run = m_rows[std::size_t(row)];
    if (name.isEmpty())
        return false;
    if (name == run.name)
        return true;
    const qint64 id = run.id;
    RunRow edited = run;
    edited.name = name;
    edited.updateFilterText();
    updateRow(row, std::move(edited));
    submitEdit({track::RenameRun{id, name.toStdString()}},
               tr("Cannot rename the run to '%1'").arg(name));
    return true;
}

bool RunListModel::setTags(int row, const QString &text)
{
    RunRow &run = m_rows[std::size_t(row)];
    const QStringList tags = parseTags(text);
    if (tags == run.tags)
        return true;
    const qint64 id = run.id;
    std::vector<track::RunEdit> edits;
    for (const auto &tag : run.tags) {
        if (!tags.contains(tag))
            edits.push_back(track::RemoveRunTag{id, tag.toStdString()});
    }
    for (const auto &tag : tags) {
        if (!run.tags.contains(tag))
            edits.push_back(track::AddRunTag{id, tag.toStdString()});
    }
    RunRow edited = run;
    edited.tags = tags;
    edited.updateFilterText();
    updateRow(row, std::move(edited));
    submitEdit(std::move(edits), tr("Cannot change the tags"));
    return true;
}

void RunListModel::setNotes(qint64 id, const QString &notes)
{
    const int row = rowOf(id);
    if (row < 0 || runRow(row).notes == notes)
        return;
    RunRow edited = runRow(row);
    edited.notes = notes;
    edited.updateFilterText();
    updateRow(row, std::move(edited));
    submitEdit({track::SetRunNotes{id, notes.toStdString()}}, tr("Cannot save the notes"));
}

void RunListModel::noteEdit()
{
    ++m_editGeneration;
}

void RunListModel::submitEdit(std::vector<track::RunEdit> edits, const QString &what)
{
    noteEdit();
    ++m_editsInFlight;
    m_store->edit(this, std::move(edits),
                  [this, what](Result<void> done) { editDone(done, what); });
}

void RunListModel::editDone(const Result<void> &done, const QString &what)
{
    --m_editsInFlight;
    if (!done) {
        reportFailure(what, QString::fromStdString(done.error().message));
        return;
    }
    // Loads asked for while the edit was in flight were put off: read the store's state now.
    noteEdit();
    refresh();
}

void RunListModel::reportFailure(const QString &what, const QString &message)
{
    Q_EMIT storeError(what + QStringLiteral(": ") + message);
    // Show the store's truth again (the optimistic edit is undone by the reload).
    noteEdit();
    refresh();
}

void RunListModel::setPollInterval(int ms)
{
    m_pollInterval = std::max(0, ms);
    if (m_pollInterval > 0)
        m_poll.start(m_pollInterval);
    else
        m_poll.stop();
}

} // namespace lathe::panels
