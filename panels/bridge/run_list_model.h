#pragma once

#include "core/track/store_writer.h"
#include "panels/bridge/run_row.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QTimer>

#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lathe::panels {

class StoreClient;

/// A run's privacy spent as RunListModel last read it, and the status it had then.
struct RunPrivacyRead
{
    track::RunStatus status = track::RunStatus::Created;
    std::optional<double> epsilon;
    std::optional<double> delta;
};

/// The runs of a store as a table model (name, status, created, duration, workers, model, dataset,
/// optimizer, lr, best val accuracy, test accuracy, epsilon, final train loss, parent, tags).
/// Workers is a data-parallel run's world size (its param dist.world_size, read once per run), 1
/// for a run of one process. Epsilon is a DP-SGD run's privacy spent (its last privacy/epsilon,
/// at the delta its tooltip gives), empty for a run that is not private. Duration is
/// training time (pauses and the gaps between an end and a resume left out,
/// RunRow::durationSeconds); its tooltip has the wall time. The parent (the run a fine-tune started
/// from) is named from the loaded rows, so it costs no query. Loads on its StoreClient thread and
/// polls (every second by default), applying changes as minimal row updates, inserts and removals,
/// so selections and views survive a poll and runs written by other processes appear live.
/// Name and tags (comma separated) are editable through setData; edits are shown at once and
/// written by the store's writer (StoreClient::edit); a refused edit is reverted and reported by
/// storeError. Loads wait for the edits in flight, so a read never shows a value an edit has
/// replaced. GUI thread only.
class RunListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        NameColumn,
        StatusColumn,
        CreatedColumn,
        DurationColumn,
        WorkersColumn,
        ModelColumn,
        DatasetColumn,
        OptimizerColumn,
        LrColumn,
        BestValAccuracyColumn,
        TestAccuracyColumn,
        EpsilonColumn,
        TrainLossColumn,
        ParentColumn,
        TagsColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1, ///< a number (times, metrics) or text, for proxy sorting
        FilterRole,                  ///< RunRow::filterText
        RunIdRole                    ///< the run id (qint64)
    };

    /// Reads and writes through `store` (which must outlive the model) and starts the first
    /// load (see loaded()).
    explicit RunListModel(StoreClient &store, QObject *parent = nullptr);
    ~RunListModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

    /// The run at `row` (0 <= row < rowCount()).
    const RunRow &runRow(int row) const { return m_rows[std::size_t(row)]; }
    qint64 runId(int row) const { return runRow(row).id; }
    /// The row showing run `id`, or -1.
    int rowOf(qint64 id) const { return m_index.value(id, -1); }
    /// The name of run `row`'s parent as the model knows it (shown or hidden rows); empty when
    /// it has no parent or the parent is not loaded.
    QString parentName(const RunRow &row) const;
    /// "fine-tuned from run 3 (alpha)" for a run with a parent; empty otherwise.
    QString lineage(const RunRow &row) const;
    /// True once the first load has been applied.
    bool isLoaded() const { return m_loaded; }

    /// Reloads from the store now (coalesced with a load in flight).
    void refresh();
    /// Poll period in ms; 0 stops polling.
    void setPollInterval(int ms);
    int pollInterval() const { return m_pollInterval; }

    /// Replaces a run's notes (shown at once, written by the store's writer).
    void setNotes(qint64 id, const QString &notes);
    /// Removes the rows of `ids` from the model without touching the store (pending delete);
    /// polls keep them out until restoreRuns() or deleteHiddenRuns().
    void hideRuns(const QList<qint64> &ids);
    /// Shows hidden runs again (undo of a pending delete).
    void restoreRuns(const QList<qint64> &ids);
    /// Deletes hidden runs from the store (the end of the undo window). Errors: storeError.
    void deleteHiddenRuns(const QList<qint64> &ids);
    /// A hidden run's row, for messages; nullptr when `id` is not hidden.
    const RunRow *hiddenRun(qint64 id) const;

Q_SIGNALS:
    /// A load has been applied (the first one: the model is open).
    void loaded();
    /// A store read or write failed; `message` says what and why.
    void storeError(const QString &message);

private:
    void applyRows(std::vector<RunRow> rows);
    void updateRow(int row, RunRow incoming);
    void removeMissing(const QHash<qint64, int> &seen);
    void appendRows(std::vector<RunRow> rows);
    void rebuildIndex();
    void parentRenamed(qint64 id);
    void noteEdit();
    void submitEdit(std::vector<track::RunEdit> edits, const QString &what);
    void editDone(const Result<void> &done, const QString &what);
    void reportFailure(const QString &what, const QString &message);
    bool renameRun(int row, const QString &name);
    bool setTags(int row, const QString &text);
    QVariant displayData(const RunRow &row, int column) const;
    QVariant sortData(const RunRow &row, int column) const;

    StoreClient *m_store = nullptr;
    /// Each run's world size as read at its status: read again only when the status changes (a
    /// resume at another world size rewrites it). Used on the store thread only.
    std::shared_ptr<std::unordered_map<qint64, std::pair<track::RunStatus, int>>> m_worldSizes
        = std::make_shared<std::unordered_map<qint64, std::pair<track::RunStatus, int>>>();
    /// Each run's (epsilon, delta) as read at its status: read again when the status changes and
    /// at every load while it runs (epsilon grows with each step). Store thread only.
    std::shared_ptr<std::unordered_map<qint64, RunPrivacyRead>> m_privacy
        = std::make_shared<std::unordered_map<qint64, RunPrivacyRead>>();
    QTimer m_poll;
    int m_pollInterval = 1000;
    std::vector<RunRow> m_rows;
    QHash<qint64, int> m_index;
    QHash<qint64, RunRow> m_hidden;
    quint64 m_editGeneration = 0;
    int m_editsInFlight = 0; ///< edits queued on the writer and not answered yet
    bool m_loading = false;
    bool m_reloadAgain = false;
    bool m_loaded = false;
};

} // namespace lathe::panels
