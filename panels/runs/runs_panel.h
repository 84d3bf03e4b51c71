#pragma once

#include "core/compare/side_comparison.h"
#include "core/train/run_config.h"

#include <QList>
#include <QTimer>
#include <QWidget>

#include <array>
#include <expected>

class QAbstractItemView;
class QAction;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QModelIndex;
class QSortFilterProxyModel;
class QSplitter;
class QTabWidget;
class QTableView;
class QTreeView;

namespace lathe::panels {

class CompareView;
class DeleteUndoBar;
class ExportDialog;
class RunGroupModel;
class RunListModel;
class RunEnvironmentView;
class RunNotesEditor;
class StoreClient;

/// The Runs panel: every run of the store in a sortable, filterable table (name, status,
/// created, duration, model, optimizer, lr, best val accuracy, test accuracy, parent, tags).
/// The current run's lineage ("fine-tuned from run 3 (alpha)") is shown above its notes.
/// "Export…" opens an ExportDialog for the selected run; "Fine-tune from here" hands its config,
/// set to start from its checkpoint, to newRunFromConfig(). Rename by
/// editing the name (F2, double-click), tags by editing the tags cell (comma separated), notes
/// of the current run below the table. Delete (Del, context menu, button) hides the runs at once
/// and offers Undo (bar, Ctrl+Z) for the undo window; the store delete happens when the window
/// ends or the panel is destroyed. Selecting two or more runs fills the Compare tab (config
/// diff with results, parallel coordinates, overlaid curves); opening it gives it most of the
/// panel's height and asks the window for more (compareRoomWanted). "Group by" (a key: repeat,
/// sweep, tags or a config key, and optionally a second) shows the runs the filter lets through
/// as a tree of groups (RunGroupModel: count, mean ± std (min..max) of each final metric), each
/// expanding to its runs; selecting a group selects its runs. "Compare A/B…" (abCompareRequested)
/// takes two selected runs, or two selected groups of the tree (each as the side of its keys'
/// values, compare::SideRef), and is off with the reason as its tooltip for any other pick.
/// Reads run on the injected StoreClient's thread, edits on its writer. GUI thread only.
class RunsPanel : public QWidget
{
    Q_OBJECT

public:
    /// Reads and writes the store through `store`, which must outlive the panel.
    explicit RunsPanel(StoreClient &store, QWidget *parent = nullptr);
    ~RunsPanel() override;

    /// The selected runs, in the table's order (a selected group's runs in the tree's).
    QList<qint64> selectedRunIds() const;
    /// Selects exactly the runs `ids` that are shown (the first becomes current).
    void selectRuns(const QList<qint64> &ids);
    /// How long Undo is offered after a delete, in ms (default 10 s).
    void setUndoWindow(int ms);

    /// The runs shown (its parts are found by object name like any widget's: "runsTable",
    /// "runsProxy", "runsFilter", "groupByCombo", "thenByCombo", "runGroupsTree",
    /// "runGroupsProxy", "runGroupModel", "runsSplitter", "runsTabs", "compareView",
    /// "deleteUndoBar", "runNotes", and the actions the window also puts in its menus:
    /// "exportRunAction", "fineTuneAction", "deleteRunsAction", "undoDeleteAction",
    /// "renameRunAction", "compareRunsAction", "compareABAction", "newRunFromConfigAction",
    /// "resumeRunAction").
    RunListModel *model() const { return m_model; }
    /// The last error or notice shown in the panel (empty when none).
    QString message() const;
    /// The current run's lineage as shown above its notes (empty when it has no parent).
    QString lineageText() const;

public Q_SLOTS:
    /// Deletes the selected runs (with undo).
    void deleteSelected();
    /// Undoes the pending delete, if any.
    void undoDelete();
    /// Shows the Compare tab for the selected runs.
    void compareSelected();
    /// Reads the current run's config and emits newRunFromConfig (or shows why it cannot).
    void newRunFromCurrentConfig();
    /// Starts editing the current run's name.
    void renameCurrent();
    /// Opens the export dialog for the current run (non-modal, deleted when closed); null when
    /// no run is current.
    ExportDialog *exportCurrent();
    /// Reads the current run's config and checkpoints, and emits newRunFromConfig with
    /// finetune.run = the run's id and finetune.checkpoint = "best" ("last" when it has no
    /// best), or shows why it cannot (no checkpoint, unreadable config).
    void fineTuneFromCurrent();

Q_SIGNALS:
    /// The selection changed (the curves panel overlays these runs).
    void selectionChanged(const QList<qint64> &runIds);
    /// "New run from this config" (or "Fine-tune from here", then with its finetune section
    /// set): the run's stored config, parsed and validated.
    void newRunFromConfig(const lathe::train::RunConfig &config);
    /// A run was double-clicked outside its editable cells or Enter was pressed on it.
    void runActivated(qint64 runId);
    /// "Resume run" on a stopped or interrupted run: continue it from its last checkpoint.
    void resumeRequested(qint64 runId);
    /// "Compare A/B…": side `a` is the first of the two runs or groups picked (in the view's
    /// order), `b` the second.
    void abCompareRequested(const lathe::compare::SideRef &a, const lathe::compare::SideRef &b);
    /// The Compare tab was opened: the panel shows it comfortably at `height` pixels (a
    /// window may grow the panel's dock to that, as far as its other docks allow).
    void compareRoomWanted(int height);
    /// An export started here succeeded (ExportDialog::exported): `files` written into `folder`.
    void exportWritten(qint64 runId, const QString &runName, const QString &folder,
                       const QStringList &files);

private:
    /// The height the Compare tab asks for: a few table rows above a usable comparison.
    static constexpr int kCompareHeight = 520;

    void buildUi();
    void buildActions();
    // runs_panel_views.cpp: the flat table and the grouped tree, and the selection across them.
    /// The tree of groups (hidden), with its models.
    QWidget *buildViews();
    void buildTree();
    /// The row of "Group by" combos, below the filter (the top row has no room for them in a
    /// dock of a 1366×768 window).
    QHBoxLayout *buildGroupBar();
    void applyGroupBy();
    /// The splitter's stretch: the table or the tree 3, the tabs 2.
    void setViewStretch();
    /// True while the tree of groups is shown instead of the table.
    bool isGrouped() const;
    QAbstractItemView *activeView() const;
    /// The row of the active view that shows run `id` (invalid when it shows none).
    QModelIndex viewIndexOfRun(qint64 id) const;
    /// The sides "Compare A/B…" compares for the selection, or why it cannot (its tooltip).
    std::expected<std::array<compare::SideRef, 2>, QString> abSides() const;
    void showContextMenu(const QPoint &pos);
    void onSelectionChanged();
    void onCurrentChanged(const QModelIndex &current);
    void onRowsChanged();
    void updateResumeAction();
    void updateLineage();
    void showMessage(const QString &text);
    int tableHeight(int rows) const;
    void makeRoomForCompare();
    qint64 currentRunId() const;

    StoreClient *m_store = nullptr;
    RunListModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_table = nullptr;
    RunGroupModel *m_groups = nullptr;
    QSortFilterProxyModel *m_groupProxy = nullptr;
    QTreeView *m_tree = nullptr;
    QComboBox *m_groupBy = nullptr;
    QComboBox *m_thenBy = nullptr;
    QLineEdit *m_filter = nullptr;
    QLabel *m_count = nullptr;
    QLabel *m_message = nullptr;
    QLabel *m_lineage = nullptr;
    DeleteUndoBar *m_undoBar = nullptr;
    QSplitter *m_splitter = nullptr;
    QList<int> m_notesSizes; ///< the splitter's sizes before the Compare tab was opened
    QTabWidget *m_tabs = nullptr;
    RunNotesEditor *m_notes = nullptr;
    RunEnvironmentView *m_environment = nullptr;
    CompareView *m_compare = nullptr;
    QAction *m_deleteAction = nullptr;
    QAction *m_undoAction = nullptr;
    QAction *m_renameAction = nullptr;
    QAction *m_compareAction = nullptr;
    QAction *m_abAction = nullptr;
    QAction *m_newRunAction = nullptr;
    QAction *m_resumeAction = nullptr;
    QAction *m_exportAction = nullptr;
    QAction *m_fineTuneAction = nullptr;
    QTimer m_compareDelay;
};

} // namespace lathe::panels
