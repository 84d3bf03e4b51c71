#include "panels/errors/errors_panel.h"

#include "panels/bridge/inspect_session.h"
#include "panels/bridge/store_client.h"
#include "panels/errors/confusion_matrix_view.h"
#include "panels/errors/error_gallery_model.h"
#include "panels/errors/robustness_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTabWidget>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

constexpr int kMaxThumbnails = 2000; ///< thumbnails loaded per opened cell

} // namespace

ErrorsPanel::ErrorsPanel(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_store(store)
    , m_session(new InspectSession(store, this))
{
    buildUi();
    connectSession();
    setRun(0);
}

ErrorsPanel::~ErrorsPanel() = default;

void ErrorsPanel::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildHeader());
    m_matrix = new ConfusionMatrixView(this);
    m_matrix->setObjectName(QStringLiteral("errors-matrix"));
    m_metrics = new QTableWidget(0, 4, this);
    m_metrics->setObjectName(QStringLiteral("errors-metrics"));
    m_metrics->setHorizontalHeaderLabels({tr("Class"), tr("Precision"), tr("Recall"), tr("F1")});
    m_metrics->verticalHeader()->setVisible(false);
    m_metrics->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_metrics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_metrics->setSortingEnabled(true);
    auto *left = new QSplitter(Qt::Vertical, this);
    left->addWidget(m_matrix);
    left->addWidget(m_metrics);
    left->setStretchFactor(0, 3);
    left->setStretchFactor(1, 2);

    auto *right = new QWidget(this);
    auto *column = new QVBoxLayout(right);
    column->setContentsMargins(0, 0, 0, 0);
    m_galleryTitle = new QLabel(tr("Click a cell of the matrix to list its samples"), right);
    m_galleryTitle->setObjectName(QStringLiteral("errors-gallery-title"));
    m_galleryTitle->setWordWrap(true);
    m_galleryModel = new ErrorGalleryModel(this);
    m_galleryModel->setObjectName(QStringLiteral("errors-gallery-model"));
    m_galleryProxy = new QSortFilterProxyModel(this);
    m_galleryProxy->setSourceModel(m_galleryModel);
    m_galleryProxy->setSortRole(Qt::UserRole);
    m_gallery = new QTableView(right);
    m_gallery->setObjectName("errors-gallery");
    m_gallery->setModel(m_galleryProxy);
    m_gallery->setSortingEnabled(true);
    m_gallery->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_gallery->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_gallery->setIconSize({56, 56});
    m_gallery->verticalHeader()->setDefaultSectionSize(60);
    m_gallery->verticalHeader()->setVisible(false);
    // The class names share the width left, so confidence and loss stay in view.
    auto *header = m_gallery->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ErrorGalleryModel::True, QHeaderView::Stretch);
    header->setSectionResizeMode(ErrorGalleryModel::Predicted, QHeaderView::Stretch);
    column->addWidget(m_galleryTitle);
    column->addWidget(m_gallery, 1);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    m_robustness = new RobustnessView(*m_session, m_store, this);
    auto *tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("errors-tabs"));
    tabs->addTab(right, tr("Samples"));
    tabs->addTab(m_robustness, tr("Robustness"));
    splitter->addWidget(left);
    splitter->addWidget(tabs);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({520, 480});
    layout->addWidget(splitter, 1);

    connect(m_matrix, &ConfusionMatrixView::cellClicked, this, &ErrorsPanel::openCell);
    auto activate = [this](const QModelIndex &index) {
        if (!index.isValid() || !m_report)
            return;
        const qint64 sample = index.data(ErrorGalleryModel::kIndexRole).toLongLong();
        // A validation report's indices are into its samples, not the test set.
        if (m_report->validation) {
            if (m_report->validationSamples)
                Q_EMIT validationSampleActivated(m_report->validationSamples, sample);
            return;
        }
        Q_EMIT sampleActivated(m_report->key.runId, m_report->key.checkpoint, sample);
    };
    // Double-click or Enter (a style that activates on a single click does that instead).
    connect(m_gallery, &QTableView::activated, this, activate);
}

QWidget *ErrorsPanel::buildHeader()
{
    auto *box = new QWidget(this);
    auto *row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    m_runLabel = new QLabel(box);
    m_checkpoint = new QComboBox(box);
    m_checkpoint->setObjectName("errors-checkpoint");
    m_checkpoint->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_compute = new QPushButton(tr("Compute"), box);
    m_compute->setObjectName(QStringLiteral("errors-compute"));
    m_compute->setToolTip(
        tr("Run the checkpoint on its run's test set (on its validation split when it has none)"));
    m_cancel = new QPushButton(tr("Cancel"), box);
    m_cancel->setObjectName(QStringLiteral("errors-cancel"));
    m_progress = new QProgressBar(box);
    m_progress->setObjectName(QStringLiteral("errors-progress"));
    m_progress->setMaximumWidth(200);
    m_status = new QLabel(box);
    m_status->setObjectName(QStringLiteral("errors-status"));
    m_status->setWordWrap(true);
    row->addWidget(m_runLabel);
    row->addWidget(new QLabel(tr("Checkpoint:"), box));
    row->addWidget(m_checkpoint);
    row->addWidget(m_compute);
    row->addWidget(m_progress);
    row->addWidget(m_cancel);
    row->addWidget(m_status, 1);
    connect(m_compute, &QPushButton::clicked, this, &ErrorsPanel::compute);
    connect(m_checkpoint, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_robustness->setKey(index < 0
                                 ? InspectKey{0, {}}
                                 : InspectKey{m_runId, m_checkpoint->currentData().toString()});
    });
    connect(m_cancel, &QPushButton::clicked, this, &ErrorsPanel::cancel);
    return box;
}

void ErrorsPanel::connectSession()
{
    connect(m_session, &InspectSession::checkpointsListed, this,
            [this](quint64 id, qint64, const QList<InspectCheckpoint> &list) {
                onCheckpointsListed(id, list);
            });
    connect(m_session, &InspectSession::errorsReady, this, &ErrorsPanel::onErrors);
    connect(m_session, &InspectSession::progress, this,
            [this](quint64 id, qint64 done, qint64 total) {
                if (id != m_computeId)
                    return;
                m_progress->setRange(0, int(std::max<qint64>(total, 1)));
                m_progress->setValue(int(done));
            });
    connect(m_session, &InspectSession::testImagesReady, this,
            [this](quint64 id, const QList<qint64> &indices, const QList<QImage> &images) {
                if (id != m_imagesId)
                    return;
                m_imagesId = 0;
                m_galleryModel->setThumbnails(indices, images);
            });
    connect(m_session, &InspectSession::failed, this, &ErrorsPanel::onEnded);
    connect(m_session, &InspectSession::cancelled, this,
            [this](quint64 id) { onEnded(id, tr("Cancelled")); });
}

void ErrorsPanel::setSelection(const RunSelection &selection)
{
    if (selection.inspected != m_runId)
        setRun(selection.inspected);
}

void ErrorsPanel::setRun(qint64 runId)
{
    if (runId == m_runId && runId != 0)
        return;
    m_session->cancelAll();
    m_runId = runId;
    m_computeId = m_imagesId = 0;
    m_report.reset();
    {
        const QSignalBlocker block(m_checkpoint);
        m_checkpoint->clear();
    }
    m_robustness->setKey({0, {}});
    m_runLabel->setText(runId ? tr("Run %1").arg(runId) : tr("No run"));
    m_matrix->clear(runId ? tr("Pick a checkpoint and press Compute")
                          : tr("Select a run in the Runs panel to see where it fails"));
    m_metrics->setRowCount(0);
    m_galleryModel->setRows({}, {});
    m_galleryTitle->setText(tr("Click a cell of the matrix to list its samples"));
    m_status->clear();
    setComputing(false);
    m_compute->setEnabled(false);
    if (runId != 0)
        m_listId = m_session->listCheckpoints(runId);
}

void ErrorsPanel::onCheckpointsListed(quint64 id, const QList<InspectCheckpoint> &list)
{
    if (id != m_listId)
        return;
    m_listId = 0;
    for (const auto &c : list)
        m_checkpoint->addItem(tr("%1 (epoch %2)").arg(c.name).arg(c.epoch), c.name);
    m_checkpoint->setCurrentIndex(std::max(m_checkpoint->findData(QStringLiteral("best")), 0));
    m_compute->setEnabled(!list.isEmpty());
    if (list.isEmpty())
        m_matrix->clear(
            tr("Run %1 has no checkpoint yet: one is written after each epoch").arg(m_runId));
}

void ErrorsPanel::compute()
{
    if (m_runId == 0 || m_checkpoint->currentIndex() < 0 || m_computeId)
        return;
    const InspectKey key{m_runId, m_checkpoint->currentData().toString()};
    m_computeId = m_session->computeErrors(key);
    m_status->setText(tr("Evaluating %1…").arg(key.checkpoint));
    setComputing(true);
}

void ErrorsPanel::cancel()
{
    if (m_computeId)
        m_session->cancel(m_computeId);
}

void ErrorsPanel::setComputing(bool on)
{
    m_progress->setVisible(on);
    m_progress->setRange(0, 0);
    m_cancel->setEnabled(on);
    m_cancel->setVisible(on);
    m_compute->setEnabled(!on && m_checkpoint->count() > 0);
    m_checkpoint->setEnabled(!on);
}

void ErrorsPanel::onErrors(quint64 id, const InspectErrors &errors)
{
    if (id != m_computeId)
        return;
    m_computeId = 0;
    setComputing(false);
    m_report = errors;
    m_matrix->setMatrix(errors.confusion, errors.classNames);
    fillMetrics(errors);
    m_galleryModel->setRows({}, {});
    m_galleryTitle->setText(tr("Click a cell of the matrix to list its samples"));
    const QString accuracy = QString::number(errors.accuracy * 100.0, 'f', 2);
    if (errors.validation)
        m_status->setText(tr("This run has no test split: accuracy %1% on %2 validation samples "
                             "(%3), the part of the training data held out from training")
                              .arg(accuracy)
                              .arg(errors.predictions.size())
                              .arg(errors.key.checkpoint));
    else
        m_status->setText(tr("Accuracy %1% on %2 test samples (%3)")
                              .arg(accuracy)
                              .arg(errors.predictions.size())
                              .arg(errors.key.checkpoint));
    Q_EMIT computeFinished();
}

void ErrorsPanel::onEnded(quint64 id, const QString &message)
{
    if (id == m_listId) {
        m_listId = 0;
        m_matrix->clear(message);
    } else if (id == m_imagesId) {
        m_imagesId = 0;
    } else if (id == m_computeId) {
        m_computeId = 0;
        setComputing(false);
        m_status->setText(message);
        Q_EMIT computeFinished();
    }
}

void ErrorsPanel::fillMetrics(const InspectErrors &errors)
{
    m_metrics->setSortingEnabled(false);
    m_metrics->setRowCount(int(errors.classNames.size()));
    for (int c = 0; c < errors.classNames.size(); ++c) {
        m_metrics->setItem(c, 0, new QTableWidgetItem(errors.classNames[c]));
        const double values[]
            = {errors.precision.value(c), errors.recall.value(c), errors.f1.value(c)};
        for (int i = 0; i < 3; ++i) {
            auto *item = new QTableWidgetItem;
            item->setData(Qt::DisplayRole, QString::number(values[i], 'f', 3));
            item->setData(Qt::UserRole, values[i]);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_metrics->setItem(c, i + 1, item);
        }
    }
    // Class order until the user sorts by a column.
    m_metrics->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_metrics->setSortingEnabled(true);
}

void ErrorsPanel::openCell(int label, int predicted)
{
    if (!m_report)
        return;
    const auto rows = m_report->cell(label, predicted);
    m_matrix->setSelectedCell(label, predicted);
    m_galleryModel->setRows(rows, m_report->classNames);
    // Highest loss first; the sort is stable, so ties keep the report's order.
    m_gallery->sortByColumn(ErrorGalleryModel::Loss, Qt::DescendingOrder);
    const QString title
        = m_report->validation
              ? tr("True %1, predicted %2: %3 validation samples, highest loss first · "
                   "double-click one for its attributions")
              : tr("True %1, predicted %2: %3 samples, highest loss first · "
                   "double-click one for its attributions");
    m_galleryTitle->setText(
        title.arg(m_report->classNames.value(label), m_report->classNames.value(predicted))
            .arg(rows.size()));
    QList<qint64> indices;
    for (int i = 0; i < rows.size() && i < kMaxThumbnails; ++i)
        indices.append(rows[i].index);
    if (m_imagesId)
        m_session->cancel(m_imagesId);
    m_imagesId = indices.isEmpty() ? 0 : m_session->loadTestImages(m_report->key, indices);
}

} // namespace lathe::panels
