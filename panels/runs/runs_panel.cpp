#include "panels/runs/runs_panel.h"

#include "core/track/run_store.h"
#include "core/train/stored_run.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "panels/runs/compare_view.h"
#include "panels/runs/delete_undo_bar.h"
#include "panels/runs/run_environment_view.h"
#include "panels/runs/run_group_model.h"
#include "panels/runs/run_notes_editor.h"

#include <QAction>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

namespace {

QToolButton *actionButton(QAction *action, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    return button;
}

} // namespace

RunsPanel::RunsPanel(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_store(&store)
    , m_model(new RunListModel(store, this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    setObjectName(QStringLiteral("runsPanel"));
    m_proxy->setObjectName(QStringLiteral("runsProxy"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(RunListModel::SortRole);
    m_proxy->setFilterRole(RunListModel::FilterRole);
    m_proxy->setFilterKeyColumn(RunListModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_compareDelay.setSingleShot(true);
    m_compareDelay.setInterval(120);
    buildActions();
    buildUi();
    connect(m_model, &RunListModel::storeError, this, &RunsPanel::showMessage);
    connect(m_model, &RunListModel::dataChanged, this, [this] {
        if (const int row = m_model->rowOf(m_notes->runId()); row >= 0)
            m_notes->updateStoredNotes(m_model->runRow(row).notes);
        updateLineage();
    });
    connect(&m_compareDelay, &QTimer::timeout, this, [this] {
        std::vector<RunRow> rows;
        for (const qint64 id : selectedRunIds())
            rows.push_back(m_model->runRow(m_model->rowOf(id)));
        m_compare->showRuns(rows);
    });
}

RunsPanel::~RunsPanel()
{
    // The edits queued here reach the store's writer before the window's StoreClient goes.
    m_notes->flush();
    m_undoBar->commit();
}

void RunsPanel::buildUi()
{
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("runsFilter"));
    m_filter->setPlaceholderText(tr("Filter by name, tag, notes, model, optimizer, status…"));
    m_filter->setClearButtonEnabled(true);
    m_count = new QLabel(this);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("runsMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_message->hide();
    m_undoBar = new DeleteUndoBar(this);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("runsTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(RunListModel::CreatedColumn, Qt::DescendingOrder);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->addAction(m_deleteAction);
    const int widths[] = {200, 90, 130, 80, 64, 110, 90, 70, 80, 80, 80, 64, 80, 120};
    for (int column = 0; column < int(std::size(widths)); ++column)
        m_table->setColumnWidth(column, widths[column]);

    m_notes = new RunNotesEditor(this);
    m_lineage = new QLabel(this);
    m_lineage->setObjectName(QStringLiteral("runLineage"));
    m_lineage->setContentsMargins(4, 2, 4, 2);
    m_lineage->hide();
    auto *notesPage = new QWidget(this);
    auto *notesLayout = new QVBoxLayout(notesPage);
    notesLayout->setContentsMargins(0, 0, 0, 0);
    notesLayout->setSpacing(2);
    notesLayout->addWidget(m_lineage);
    notesLayout->addWidget(m_notes, 1);
    m_compare = new CompareView(*m_store, this);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("runsTabs"));
    m_tabs->addTab(notesPage, tr("Notes"));
    m_tabs->addTab(m_compare, tr("Compare"));
    m_environment = new RunEnvironmentView(*m_store, this);
    m_tabs->addTab(m_environment, tr("Environment"));

    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->setObjectName(QStringLiteral("runsSplitter"));
    // The table and the tree of groups, one of them hidden, then the tabs.
    m_splitter->addWidget(m_table);
    m_splitter->addWidget(buildViews());
    m_splitter->addWidget(m_tabs);
    setViewStretch();
    m_splitter->setChildrenCollapsible(false);
    // The table first; notes below may shrink (their hint would squeeze it). The Compare tab
    // takes the room when it is opened (makeRoomForCompare).
    m_table->setMinimumHeight(tableHeight(1));
    m_tree->setMinimumHeight(tableHeight(1));
    m_tabs->setMinimumHeight(80);
    m_splitter->setSizes({3000, 3000, 1000});

    auto *top = new QHBoxLayout;
    top->addWidget(m_filter, 1);
    top->addWidget(m_count);
    top->addWidget(actionButton(m_compareAction, this));
    top->addWidget(actionButton(m_newRunAction, this));
    top->addWidget(actionButton(m_exportAction, this));
    top->addWidget(actionButton(m_deleteAction, this));
    auto *layout = new QVBoxLayout(this);
    // Tight rows: with the group row, the Compare tab keeps its usable height in a 1366×768
    // window.
    layout->setContentsMargins(6, 4, 6, 4);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addLayout(buildGroupBar());
    layout->addWidget(m_message);
    layout->addWidget(m_undoBar);
    layout->addWidget(m_splitter, 1);

    connect(m_filter, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    // The proxy reports a source removal before the source has removed the row: count
    // again when the source is done.
    for (QAbstractItemModel *model :
         {static_cast<QAbstractItemModel *>(m_proxy), static_cast<QAbstractItemModel *>(m_model)}) {
        connect(model, &QAbstractItemModel::rowsInserted, this, &RunsPanel::onRowsChanged);
        connect(model, &QAbstractItemModel::rowsRemoved, this, &RunsPanel::onRowsChanged);
        connect(model, &QAbstractItemModel::modelReset, this, &RunsPanel::onRowsChanged);
    }
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &RunsPanel::onRowsChanged);
    connect(m_model, &RunListModel::loaded, this, &RunsPanel::onRowsChanged);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RunsPanel::onSelectionChanged);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &RunsPanel::onCurrentChanged);
    connect(m_table, &QTableView::customContextMenuRequested, this, &RunsPanel::showContextMenu);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_tabs->currentWidget() == m_compare) {
            makeRoomForCompare();
        } else {
            setViewStretch();
            if (!m_notesSizes.isEmpty())
                m_splitter->setSizes(m_notesSizes);
        }
    });
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        Q_EMIT runActivated(index.data(RunListModel::RunIdRole).toLongLong());
    });
    connect(m_notes, &RunNotesEditor::notesEdited, m_model, &RunListModel::setNotes);
    connect(m_undoBar, &DeleteUndoBar::expired, m_model, &RunListModel::deleteHiddenRuns);
    connect(m_undoBar, &DeleteUndoBar::undoRequested, this, [this](const QList<qint64> &ids) {
        m_model->restoreRuns(ids);
        selectRuns(ids);
    });
    onRowsChanged();
    onSelectionChanged();
}

void RunsPanel::buildActions()
{
    m_deleteAction = new QAction(tr("Delete"), this);
    m_deleteAction->setObjectName(QStringLiteral("deleteRunsAction"));
    m_deleteAction->setShortcut(QKeySequence::Delete);
    m_deleteAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_deleteAction->setToolTip(tr("Delete the selected runs (Del); Undo is offered for a while"));
    m_undoAction = new QAction(tr("Undo delete"), this);
    m_undoAction->setObjectName(QStringLiteral("undoDeleteAction"));
    m_undoAction->setShortcut(QKeySequence::Undo);
    m_undoAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_renameAction = new QAction(tr("Rename"), this);
    m_renameAction->setObjectName(QStringLiteral("renameRunAction"));
    m_compareAction = new QAction(tr("Compare selected"), this);
    m_compareAction->setObjectName(QStringLiteral("compareRunsAction"));
    m_compareAction->setToolTip(tr("Compare the selected runs (select two or more)"));
    m_abAction = new QAction(tr("Compare &A/B…"), this);
    m_abAction->setObjectName(QStringLiteral("compareABAction"));
    m_newRunAction = new QAction(tr("New run from this config"), this);
    m_newRunAction->setObjectName(QStringLiteral("newRunFromConfigAction"));
    m_newRunAction->setToolTip(tr("Fill the hyperparameter form with this run's config"));
    m_resumeAction = new QAction(tr("Resume run"), this);
    m_resumeAction->setObjectName(QStringLiteral("resumeRunAction"));
    m_resumeAction->setToolTip(
        tr("Continue a stopped or interrupted run from its last checkpoint"));
    m_resumeAction->setEnabled(false);
    m_exportAction = new QAction(tr("Export…"), this);
    m_exportAction->setObjectName(QStringLiteral("exportRunAction"));
    m_exportAction->setToolTip(tr("Export the selected run as TorchScript, ONNX or safetensors"));
    m_exportAction->setEnabled(false);
    m_fineTuneAction = new QAction(tr("Fine-tune from here"), this);
    m_fineTuneAction->setObjectName(QStringLiteral("fineTuneAction"));
    m_fineTuneAction->setToolTip(
        tr("Fill the hyperparameter form with this run's config, set to start from its best "
           "checkpoint"));
    m_fineTuneAction->setEnabled(false);
    addAction(m_undoAction);
    connect(m_deleteAction, &QAction::triggered, this, &RunsPanel::deleteSelected);
    connect(m_undoAction, &QAction::triggered, this, &RunsPanel::undoDelete);
    connect(m_renameAction, &QAction::triggered, this, &RunsPanel::renameCurrent);
    connect(m_compareAction, &QAction::triggered, this, &RunsPanel::compareSelected);
    connect(m_abAction, &QAction::triggered, this, [this] {
        if (const auto sides = abSides())
            Q_EMIT abCompareRequested((*sides)[0], (*sides)[1]);
    });
    connect(m_newRunAction, &QAction::triggered, this, &RunsPanel::newRunFromCurrentConfig);
    connect(m_resumeAction, &QAction::triggered, this,
            [this] { Q_EMIT resumeRequested(currentRunId()); });
    connect(m_exportAction, &QAction::triggered, this, &RunsPanel::exportCurrent);
    connect(m_fineTuneAction, &QAction::triggered, this, &RunsPanel::fineTuneFromCurrent);
}

void RunsPanel::showContextMenu(const QPoint &pos)
{
    QAbstractItemView *view = activeView();
    if (!view->indexAt(pos).isValid())
        return;
    QMenu menu(this);
    menu.setToolTipsVisible(true); // why an action is off ("Compare A/B…" says)
    menu.addAction(m_newRunAction);
    menu.addAction(m_fineTuneAction);
    menu.addAction(m_resumeAction);
    menu.addAction(m_exportAction);
    menu.addAction(m_compareAction);
    menu.addAction(m_abAction);
    menu.addSeparator();
    menu.addAction(m_renameAction);
    menu.addAction(m_deleteAction);
    menu.exec(view->viewport()->mapToGlobal(pos));
}

void RunsPanel::setUndoWindow(int ms)
{
    m_undoBar->setUndoWindow(ms);
}

QString RunsPanel::message() const
{
    return m_message->isVisible() ? m_message->text() : QString();
}

void RunsPanel::showMessage(const QString &text)
{
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

void RunsPanel::onSelectionChanged()
{
    const auto ids = selectedRunIds();
    m_deleteAction->setEnabled(!ids.isEmpty());
    m_compareAction->setEnabled(ids.size() >= 2);
    const auto sides = abSides();
    m_abAction->setEnabled(sides.has_value());
    if (!sides)
        m_abAction->setToolTip(sides.error());
    else if ((*sides)[0].runId == 0)
        m_abAction->setToolTip(tr("Is the difference between the two selected groups real? Each "
                                  "stands for every run of the store with its values, the "
                                  "filter aside (as lathe-cli compare KEY=VALUE KEY=VALUE "
                                  "--stats)"));
    else
        m_abAction->setToolTip(tr("Is the difference between the two selected runs real? Each "
                                  "stands for its repeat group when it has one"));
    m_exportAction->setEnabled(ids.size() == 1);
    m_newRunAction->setEnabled(currentRunId() != 0);
    m_renameAction->setEnabled(currentRunId() != 0);
    m_compareDelay.start();
    Q_EMIT selectionChanged(ids);
}

void RunsPanel::onCurrentChanged(const QModelIndex &)
{
    // The active view's: the hidden one's current row moves too when its rows change.
    const qint64 id = currentRunId();
    const int row = m_model->rowOf(id);
    m_notes->setRun(row >= 0 ? id : 0, row >= 0 ? m_model->runRow(row).notes : QString());
    if (m_environment->runId() != (row >= 0 ? id : 0))
        m_environment->showRun(row >= 0 ? id : 0);
    m_newRunAction->setEnabled(row >= 0);
    m_renameAction->setEnabled(row >= 0);
    updateResumeAction();
    updateLineage();
}

void RunsPanel::updateResumeAction()
{
    const int row = m_model->rowOf(currentRunId());
    const auto status = row >= 0 ? m_model->runRow(row).status : track::RunStatus::Created;
    m_resumeAction->setEnabled(status == track::RunStatus::Stopped
                               || status == track::RunStatus::Interrupted);
    // A run that has trained may have a checkpoint; fineTuneFromCurrent() checks.
    m_fineTuneAction->setEnabled(row >= 0 && status != track::RunStatus::Created);
}

void RunsPanel::onRowsChanged()
{
    updateResumeAction();
    const int total = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    if (total == 0 && m_model->isLoaded()) {
        m_count->setText(tr("No runs yet: start one from the Hyperparameters panel or "
                            "with lathe-cli train."));
        return;
    }
    QString text = shown == total ? tr("%n run(s)", nullptr, total)
                                  : tr("%1 of %n run(s)", nullptr, total).arg(shown);
    if (isGrouped())
        text += tr(" in %n group(s)", nullptr, m_groups->rowCount());
    m_count->setText(text);
}

void RunsPanel::deleteSelected()
{
    const auto ids = selectedRunIds();
    if (ids.isEmpty())
        return;
    m_notes->flush();
    const QString text
        = ids.size() == 1
              ? tr("Deleted '%1'").arg(m_model->runRow(m_model->rowOf(ids.front())).name)
              : tr("Deleted %n runs", nullptr, int(ids.size()));
    m_undoBar->start(ids, text);
    m_model->hideRuns(ids);
}

void RunsPanel::undoDelete()
{
    m_undoBar->undo();
}

void RunsPanel::compareSelected()
{
    m_tabs->setCurrentWidget(m_compare);
    m_compareDelay.start(0);
}

int RunsPanel::tableHeight(int rows) const
{
    // With room for the horizontal scroll bar the many columns often need.
    return m_table->horizontalHeader()->sizeHint().height()
           + rows * m_table->verticalHeader()->defaultSectionSize()
           + m_table->horizontalScrollBar()->sizeHint().height() + 2 * m_table->frameWidth();
}

void RunsPanel::makeRoomForCompare()
{
    // The table keeps a few rows (a quarter of the height, 2 to 4 rows); the comparison gets
    // the rest, and any height the window adds. Back on Notes, the sizes from before come back.
    m_notesSizes = m_splitter->sizes();
    const int view = m_splitter->indexOf(activeView());
    const int tabs = m_splitter->indexOf(m_tabs);
    const int total = m_notesSizes.value(view) + m_notesSizes.value(tabs);
    const int table = std::clamp(total / 4, tableHeight(2), tableHeight(4));
    m_splitter->setStretchFactor(view, 0);
    m_splitter->setStretchFactor(tabs, 1);
    QList<int> sizes(m_splitter->count(), 0);
    sizes[view] = table;
    sizes[tabs] = std::max(0, total - table);
    m_splitter->setSizes(sizes);
    Q_EMIT compareRoomWanted(kCompareHeight);
}

void RunsPanel::renameCurrent()
{
    QAbstractItemView *view = activeView();
    const auto current = view->currentIndex();
    if (!current.isValid() || currentRunId() == 0)
        return;
    const auto name = current.siblingAtColumn(RunListModel::NameColumn);
    view->setCurrentIndex(name);
    view->edit(name);
}

void RunsPanel::newRunFromCurrentConfig()
{
    const qint64 id = currentRunId();
    if (id == 0)
        return;
    m_store->query(
        this,
        [id](track::RunStore &store) -> Result<train::RunConfig> {
            auto run = store.run(id);
            if (!run)
                return std::unexpected(run.error());
            return train::storedConfig(*run);
        },
        [this](Result<train::RunConfig> config) {
            if (!config) {
                showMessage(tr("Cannot start a new run from this config: %1")
                                .arg(QString::fromStdString(config.error().message)));
                return;
            }
            showMessage({});
            Q_EMIT newRunFromConfig(*config);
        });
}

} // namespace lathe::panels
