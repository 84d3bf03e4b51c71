#include "panels/dataset/dataset_panel.h"

#include "panels/bridge/dataset_source.h"
#include "panels/bridge/quality_job.h"
#include "panels/dataset/augment_preview_view.h"
#include "panels/dataset/class_histogram.h"
#include "panels/dataset/feature_histograms.h"
#include "panels/dataset/open_dataset_dialog.h"
#include "panels/dataset/quality_view.h"
#include "panels/dataset/sample_delegate.h"
#include "panels/dataset/sample_grid_model.h"
#include "panels/dataset/sample_table_model.h"
#include "panels/dataset/stats_view.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListView>
#include <QLocale>
#include <QMenu>
#include <QProgressBar>
#include <QRandomGenerator>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <utility>

namespace lathe::panels {

namespace {

constexpr int kPreviewCount = 16;
constexpr int kDuplicateFilter = -2; ///< class-combo data of the "duplicate group" entry

/// A run config's data section that names a reader, its path and its options (no cut).
train::DataConfig readerData(std::string reader, std::string path, Options options = {})
{
    train::DataConfig data;
    data.dataset = std::move(reader);
    data.path = std::move(path);
    data.options = std::move(options);
    return data;
}

/// What the Quality tab trains K times for label issues: a small CNN for 3 epochs on `data`.
train::RunConfig qualityConfig(const train::DataConfig &data)
{
    train::RunConfig config;
    config.name = "label-issues";
    config.data = data;
    config.data.valFraction = 0.0;
    config.model = {"cnn", {8, 16}, 0.1};
    config.optimizer.lr = 3e-3;
    config.training.epochs = 3;
    config.histograms.every = 0;
    return config;
}

} // namespace

DatasetPanel::DatasetPanel(QWidget *parent)
    : QWidget(parent)
    , m_source(new DatasetSource(this))
    , m_model(new SampleGridModel(m_source, this))
    , m_tableModel(new SampleTableModel(m_source, m_model, this))
    , m_views(new QStackedWidget(this))
    , m_open(new QToolButton(this))
    , m_description(new QLabel(tr("No dataset loaded. Use Open… to pick one."), this))
    , m_classFilter(new QComboBox(this))
    , m_status(new QLabel(this))
    , m_loadProgress(new QProgressBar(this))
    , m_grid(new QListView(this))
    , m_table(new QTableView(this))
    , m_tabs(new QTabWidget(this))
    , m_histogram(new ClassHistogram(this))
    , m_features(new FeatureHistograms(this))
    , m_featuresTab(nullptr)
    , m_stats(new StatsView(this))
    , m_preview(new AugmentPreviewView(this))
{
    m_grid->setObjectName(QStringLiteral("sampleGrid"));
    m_grid->setViewMode(QListView::IconMode);
    m_grid->setMovement(QListView::Static);
    m_grid->setResizeMode(QListView::Adjust);
    m_grid->setUniformItemSizes(true);
    m_grid->setLayoutMode(QListView::Batched);
    m_grid->setBatchSize(2000);
    m_grid->setSelectionMode(QAbstractItemView::SingleSelection);
    m_grid->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_grid->setItemDelegate(new SampleDelegate(SampleGridModel::thumbnailSide(), m_grid));
    m_grid->setModel(m_model);
    m_grid->setMinimumWidth(4 * (SampleGridModel::thumbnailSide() + 8));
    m_table->setObjectName(QStringLiteral("sampleTable"));
    m_table->setModel(m_tableModel);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_views->setObjectName(QStringLiteral("sampleViews"));
    m_views->addWidget(m_grid);
    m_views->addWidget(m_table);

    m_status->setObjectName(QStringLiteral("datasetStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->hide();
    m_loadProgress->setObjectName(QStringLiteral("loadProgress"));
    m_loadProgress->hide();

    // Grid above, classes/statistics/augmentation below: the panel lives in a tall, narrow dock.
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_views);
    auto *sidebar = buildSidebar();
    sidebar->setMinimumHeight(120); // its size hint would otherwise squeeze the grid
    splitter->addWidget(sidebar);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({3000, 2000});
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildToolbar());
    layout->addWidget(m_status);
    layout->addWidget(m_loadProgress);
    layout->addWidget(splitter, 1);
    connectSource();
}

DatasetPanel::~DatasetPanel() = default;

QWidget *DatasetPanel::buildToolbar()
{
    auto *bar = new QWidget(this);
    m_open->setObjectName(QStringLiteral("openButton"));
    m_open->setText(tr("Open…"));
    m_open->setPopupMode(QToolButton::InstantPopup);
    m_open->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto *menu = new QMenu(m_open);
    // Every entry reads through the registry's readers, as a run config names them.
    menu->addAction(tr("Fashion-MNIST (default)"), this,
                    [this] { openChosen(train::DataConfig{}); });
    menu->addAction(tr("Dataset by reader…"), this, &DatasetPanel::openWithDialog)
        ->setObjectName(QStringLiteral("openByReader"));
    menu->addAction(tr("IDX pair…"), this, [this] {
        const QString images = QFileDialog::getOpenFileName(
            this, tr("IDX image file"), {}, tr("IDX images (*idx3* *.gz);;All files (*)"));
        if (images.isEmpty())
            return;
        const QString labels
            = QFileDialog::getOpenFileName(this, tr("IDX label file"), QFileInfo(images).path(),
                                           tr("IDX labels (*idx1* *.gz);;All files (*)"));
        if (!labels.isEmpty())
            openChosen(readerData("idx", images.toStdString(), {{"labels", labels.toStdString()}}));
    });
    menu->addAction(tr("Image folder…"), this, [this] {
        const QString root
            = QFileDialog::getExistingDirectory(this, tr("Image folder: one sub-folder per class"));
        if (!root.isEmpty())
            openChosen(readerData("image-folder", root.toStdString()));
    });
    m_open->setMenu(menu);
    m_open->setMinimumWidth(m_open->sizeHint().width() + 12); // room for the menu arrow
    m_description->setObjectName(QStringLiteral("datasetDescription"));
    m_description->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Wraps rather than pushing the class filter out of a narrow dock.
    m_description->setWordWrap(true);
    m_description->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_classFilter->setObjectName(QStringLiteral("classFilter"));
    m_classFilter->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_classFilter->setEnabled(false);

    auto *layout = new QHBoxLayout(bar);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_open);
    layout->addWidget(m_description, 1);
    layout->addWidget(new QLabel(tr("Show:"), bar));
    layout->addWidget(m_classFilter);
    return bar;
}

QWidget *DatasetPanel::buildSidebar()
{
    auto *histogramArea = new QScrollArea(m_tabs);
    histogramArea->setWidgetResizable(true);
    histogramArea->setWidget(m_histogram);
    m_histogram->setObjectName(QStringLiteral("classHistogram"));
    m_histogram->setToolTip(tr("Click a class to show only its samples"));
    m_stats->setObjectName(QStringLiteral("statsView"));
    m_preview->setObjectName(QStringLiteral("augmentPreview"));
    m_tabs->addTab(histogramArea, tr("Classes"));
    auto *featureArea = new QScrollArea(m_tabs);
    featureArea->setObjectName(QStringLiteral("featuresTab"));
    featureArea->setWidgetResizable(true);
    featureArea->setWidget(m_features);
    m_features->setObjectName(QStringLiteral("featureHistograms"));
    m_featuresTab = featureArea;
    m_tabs->addTab(featureArea, tr("Features"));
    m_tabs->setTabVisible(m_tabs->indexOf(featureArea), false);
    m_tabs->addTab(m_stats, tr("Statistics"));
    m_tabs->addTab(m_preview, tr("Augmentation"));
    m_tabs->addTab(buildQualityTab(), tr("Quality"));
    return m_tabs;
}

QWidget *DatasetPanel::buildQualityTab()
{
    auto *view = new QualityView(m_tabs);
    view->setObjectName(QStringLiteral("qualityView"));
    auto *job = new QualityJob(view);
    connect(m_source, &DatasetSource::loaded, view, [view, job] {
        job->cancel();
        view->clear(true);
    });
    connect(view, &QualityView::duplicatesRequested, job, [this, view, job] {
        view->setRunning(tr("Comparing samples"));
        job->findDuplicates(m_source->dataset());
    });
    connect(view, &QualityView::issuesRequested, job, [this, view, job](int folds) {
        view->setRunning(tr("Training fold 1 of %1").arg(folds));
        job->findLabelIssues(m_source->dataset(), qualityConfig(m_data), folds, m_storePath);
    });
    connect(view, &QualityView::cancelRequested, job, &QualityJob::cancel);
    connect(job, &QualityJob::progress, view, &QualityView::setProgress);
    connect(job, &QualityJob::failed, view, &QualityView::setFailed);
    connect(job, &QualityJob::duplicatesReady, view, [this, view](const data::DuplicateReport &r) {
        view->setDuplicates(r, m_source->summary().classNames);
    });
    connect(
        job, &QualityJob::issuesReady, view, [this, view, job](const data::LabelIssueReport &r) {
            view->setIssues(r, m_source->summary().classNames, job->foldGroup(), job->foldRunIds());
        });
    connect(view, &QualityView::sampleActivated, this, &DatasetPanel::sampleActivated);
    connect(view, &QualityView::duplicateGroupActivated, this, &DatasetPanel::showDuplicateGroup);
    return view;
}

void DatasetPanel::connectSource()
{
    connect(m_source, &DatasetSource::loadStarted, this, [this](const QString &what) {
        showStatus(tr("Loading %1…").arg(what), false);
        m_loadProgress->setRange(0, 0);
        m_loadProgress->show();
    });
    connect(m_source, &DatasetSource::loaded, this, &DatasetPanel::onLoaded);
    connect(m_source, &DatasetSource::loadFailed, this, &DatasetPanel::onLoadFailed);
    connect(m_source, &DatasetSource::statsProgress, m_stats, &StatsView::setProgress);
    connect(m_source, &DatasetSource::statsReady, this, [this](const data::DatasetStats &stats) {
        m_stats->setStats(stats, m_source->summary().classNames);
    });
    connect(m_source, &DatasetSource::statsFailed, m_stats, &StatsView::setFailed);
    connect(m_source, &DatasetSource::augmentationReady, this, &DatasetPanel::onPreviewReady);
    connect(m_stats, &StatsView::cancelRequested, m_source, &DatasetSource::cancelStats);
    connect(m_stats, &StatsView::duplicateGroupActivated, this, &DatasetPanel::showDuplicateGroup);
    connect(m_classFilter, &QComboBox::currentIndexChanged, this,
            &DatasetPanel::onClassFilterChanged);
    connect(m_histogram, &ClassHistogram::classClicked, this,
            [this](int label) { m_classFilter->setCurrentIndex(label + 1); });
    connect(m_grid, &QListView::doubleClicked, this, &DatasetPanel::activate);
    connect(m_table, &QTableView::doubleClicked, this, &DatasetPanel::activate);
    connect(m_grid->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &DatasetPanel::refreshPreview);
    connect(m_preview, &AugmentPreviewView::rerollRequested, this, [this] {
        m_seed = QRandomGenerator::global()->generate64();
        refreshPreview();
    });
}

void DatasetPanel::openDataset(const train::DataConfig &data)
{
    m_data = data;
    m_chosen = false;
    m_source->open(data);
}

void DatasetPanel::showData(const train::DataConfig &data)
{
    // The validation share and normalisation do not change the training samples shown.
    train::DataConfig same = data;
    same.valFraction = m_data.valFraction;
    same.normalize = m_data.normalize;
    if (same == m_data && (m_source->isLoading() || m_source->isLoaded()))
        return;
    openDataset(data);
}

void DatasetPanel::openChosen(const train::DataConfig &data)
{
    openDataset(data);
    m_chosen = true;
}

void DatasetPanel::openWithDialog()
{
    OpenDatasetDialog dialog(m_data, this);
    if (dialog.exec() == QDialog::Accepted)
        openChosen(dialog.data());
}

void DatasetPanel::setDataset(std::shared_ptr<const data::Dataset> dataset)
{
    m_chosen = false;
    m_source->setDataset(std::move(dataset));
}

void DatasetPanel::setAugment(const data::AugmentConfig &config)
{
    if (config == m_augment)
        return;
    m_augment = config;
    refreshPreview();
}

std::shared_ptr<const data::Dataset> DatasetPanel::dataset() const
{
    return m_source->dataset();
}

void DatasetPanel::onLoaded()
{
    const DatasetSummary &summary = m_source->summary();
    m_loadProgress->hide();
    m_status->hide();
    m_description->setText(summary.description);
    m_duplicateGroup.clear();
    m_model->reload();
    fillClassFilter();
    m_histogram->setCounts(summary.classNames, summary.classCounts);
    // Tabular samples are rows of numbers: a table and feature histograms, no images to
    // augment.
    m_views->setCurrentWidget(summary.tabular ? static_cast<QWidget *>(m_table) : m_grid);
    m_features->setHistograms(summary.featureHistograms);
    m_tabs->setTabVisible(m_tabs->indexOf(m_featuresTab), summary.tabular);
    m_tabs->setTabVisible(m_tabs->indexOf(m_preview), !summary.tabular);
    if (summary.tabular) {
        m_table->resizeColumnsToContents();
        m_tabs->setCurrentWidget(m_featuresTab);
    }
    m_stats->setRunning();
    m_source->computeStats();
    refreshPreview();
    Q_EMIT datasetLoaded(summary.description, summary.size);
    if (std::exchange(m_chosen, false))
        Q_EMIT dataOpened(m_data);
}

void DatasetPanel::onLoadFailed(const QString &message)
{
    m_loadProgress->hide();
    m_chosen = false;
    showStatus(tr("Could not load the dataset: %1").arg(message), true);
}

void DatasetPanel::fillClassFilter()
{
    const DatasetSummary &summary = m_source->summary();
    const QLocale locale;
    QSignalBlocker blocker(m_classFilter);
    m_classFilter->clear();
    m_classFilter->addItem(tr("All classes (%1)").arg(locale.toString(summary.size)), -1);
    for (int i = 0; i < summary.classNames.size(); ++i)
        m_classFilter->addItem(
            tr("%1 (%2)").arg(summary.classNames[i], locale.toString(summary.classCounts.value(i))),
            i);
    m_classFilter->setEnabled(true);
}

void DatasetPanel::onClassFilterChanged(int comboIndex)
{
    const int label = m_classFilter->itemData(comboIndex).toInt();
    if (label == kDuplicateFilter)
        m_model->setIndexFilter(m_duplicateGroup);
    else
        m_model->setClassFilter(label);
    m_histogram->setHighlighted(label);
    m_features->setHighlighted(label);
    refreshPreview();
}

void DatasetPanel::showDuplicateGroup(const QList<qint64> &indices)
{
    m_duplicateGroup.assign(indices.begin(), indices.end());
    const QString text = tr("Duplicate group (%1 copies)").arg(indices.size());
    int entry = m_classFilter->findData(kDuplicateFilter);
    if (entry < 0) {
        m_classFilter->addItem(text, kDuplicateFilter);
        entry = m_classFilter->count() - 1;
    }
    m_classFilter->setItemText(entry, text);
    if (m_classFilter->currentIndex() == entry)
        onClassFilterChanged(entry);
    else
        m_classFilter->setCurrentIndex(entry);
}

QAbstractItemView *DatasetPanel::sampleView() const
{
    return m_source->summary().tabular ? static_cast<QAbstractItemView *>(m_table) : m_grid;
}

void DatasetPanel::activate(const QModelIndex &index)
{
    Q_EMIT sampleActivated(m_model->sampleAt(index.row()));
}

qint64 DatasetPanel::previewSample() const
{
    const QModelIndex current = sampleView()->currentIndex();
    if (current.isValid())
        return m_model->sampleAt(current.row());
    return m_model->rowCount() > 0 ? m_model->sampleAt(0) : -1;
}

void DatasetPanel::refreshPreview()
{
    const qint64 sample = previewSample();
    if (!m_source->isLoaded() || m_source->summary().tabular || sample < 0) {
        m_preview->clear();
        return;
    }
    m_source->previewAugmentation(sample, m_augment, kPreviewCount, m_seed);
}

void DatasetPanel::onPreviewReady(const AugmentPreview &preview)
{
    const DatasetSummary &summary = m_source->summary();
    const int label = preview.index >= 0 && preview.index < summary.size
                          ? summary.labels[std::size_t(preview.index)]
                          : -1;
    m_preview->setPreview(preview,
                          tr("#%1 (%2)").arg(preview.index).arg(summary.classNames.value(label)));
}

void DatasetPanel::showStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #b00020; font-weight: bold;")
                                  : QString());
    m_status->show();
}

} // namespace lathe::panels
