#include "panels/dataset/quality_view.h"

#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableView>
#include <QTextStream>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

constexpr int kIssueIndicesRole = Qt::UserRole + 1;

QStandardItem *numberItem(double value, const QString &text)
{
    auto *item = new QStandardItem(text);
    item->setData(value, Qt::UserRole); // sorted by number, not by text
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    item->setEditable(false);
    return item;
}

QStandardItem *textItem(const QString &text)
{
    auto *item = new QStandardItem(text);
    item->setData(text, Qt::UserRole);
    item->setEditable(false);
    return item;
}

QString className(const QStringList &names, std::int64_t label)
{
    return label >= 0 && label < names.size() ? names[int(label)] : QString::number(label);
}

QString csvText(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')))
        return text;
    QString quoted = text;
    return QLatin1Char('"') + quoted.replace(QLatin1String("\""), QLatin1String("\"\""))
           + QLatin1Char('"');
}

} // namespace

QualityView::QualityView(QWidget *parent)
    : QWidget(parent)
    , m_findDuplicates(new QPushButton(tr("Find duplicates"), this))
    , m_findIssues(new QPushButton(tr("Find label issues"), this))
    , m_folds(new QSpinBox(this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_export(new QPushButton(tr("Export CSV…"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_model(new QStandardItemModel(0, 4, this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_table(new QTableView(this))
    , m_groupsTitle(new QLabel(tr("Duplicate groups"), this))
    , m_groups(new QListWidget(this))
{
    m_findDuplicates->setObjectName(QStringLiteral("qualityFindDuplicates"));
    m_findIssues->setObjectName(QStringLiteral("qualityFindIssues"));
    m_folds->setObjectName(QStringLiteral("qualityFolds"));
    m_cancel->setObjectName(QStringLiteral("qualityCancel"));
    m_export->setObjectName(QStringLiteral("qualityExport"));
    m_table->setObjectName(QStringLiteral("qualityIssues"));
    m_groups->setObjectName(QStringLiteral("qualityGroups"));
    m_status->setObjectName(QStringLiteral("qualityStatus"));
    m_folds->setRange(2, 20);
    m_folds->setValue(5);
    m_folds->setPrefix(tr("folds: "));
    m_folds->setToolTip(tr("Label issues train a small CNN this many times, each time on all "
                           "folds but one, and score the fold left out"));
    m_status->setWordWrap(true);
    m_model->setHorizontalHeaderLabels(
        {tr("Index"), tr("Given label"), tr("Suggested"), tr("Self-confidence")});
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::UserRole);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setToolTip(tr("Suspected label issues: double-click one to open the sample"));
    m_groups->setToolTip(tr("Click a group to show its copies in the grid"));
    m_groups->setMaximumHeight(8 * m_groups->fontMetrics().height());

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_findDuplicates);
    buttons->addWidget(m_findIssues);
    buttons->addWidget(m_folds);
    buttons->addStretch(1);
    buttons->addWidget(m_export);
    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancel);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addLayout(progressRow);
    layout->addWidget(m_status);
    layout->addWidget(new QLabel(tr("Suspected label issues"), this));
    layout->addWidget(m_table, 1);
    layout->addWidget(m_groupsTitle);
    layout->addWidget(m_groups);

    connect(m_findDuplicates, &QPushButton::clicked, this, &QualityView::duplicatesRequested);
    connect(m_findIssues, &QPushButton::clicked, this,
            [this] { Q_EMIT issuesRequested(m_folds->value()); });
    connect(m_cancel, &QPushButton::clicked, this, &QualityView::cancelRequested);
    connect(m_export, &QPushButton::clicked, this, &QualityView::exportWithDialog);
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        const QModelIndex first = m_proxy->index(index.row(), 0);
        Q_EMIT sampleActivated(m_proxy->data(first, Qt::UserRole).toLongLong());
    });
    connect(m_groups, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        Q_EMIT duplicateGroupActivated(item->data(kIssueIndicesRole).value<QList<qint64>>());
    });
    clear(false);
}

void QualityView::setIdle(bool hasDataset)
{
    m_progress->hide();
    m_cancel->hide();
    m_findDuplicates->setEnabled(hasDataset);
    m_findIssues->setEnabled(hasDataset);
    m_folds->setEnabled(hasDataset);
    m_export->setEnabled(!m_issues.empty());
}

void QualityView::clear(bool hasDataset)
{
    m_issues.clear();
    m_model->removeRows(0, m_model->rowCount());
    m_groups->clear();
    m_groups->hide();
    m_groupsTitle->setText(tr("Duplicate groups"));
    m_status->setText(hasDataset ? tr("Find duplicates compares every sample with every other "
                                      "(exact and near copies). Find label issues trains the "
                                      "model K times and ranks the samples whose label it "
                                      "doubts (confident learning).")
                                 : tr("Load a dataset to check its quality."));
    setIdle(hasDataset);
}

void QualityView::setRunning(const QString &what)
{
    m_status->setText(what + QStringLiteral("…"));
    m_progress->setRange(0, 0);
    m_progress->show();
    m_cancel->show();
    m_findDuplicates->setEnabled(false);
    m_findIssues->setEnabled(false);
    m_folds->setEnabled(false);
}

void QualityView::setProgress(const QString &what, qint64 done, qint64 total)
{
    m_progress->setRange(0, 1000);
    m_progress->setValue(total > 0 ? int(1000 * done / total) : 0);
    m_status->setText(
        tr("%1: %2 of %3").arg(what).arg(done + (what.contains(tr("fold")) ? 1 : 0)).arg(total));
}

void QualityView::setIssues(const data::LabelIssueReport &report, const QStringList &classNames,
                            const QString &foldGroup, const QList<qint64> &foldRuns)
{
    m_issues = report.issues;
    m_classNames = classNames;
    m_model->removeRows(0, m_model->rowCount());
    m_table->setSortingEnabled(false);
    for (const data::LabelIssue &issue : report.issues)
        m_model->appendRow(
            {numberItem(double(issue.index), QString::number(issue.index)),
             textItem(className(classNames, issue.given)),
             textItem(className(classNames, issue.suggested)),
             numberItem(issue.selfConfidence, QString::number(issue.selfConfidence, 'f', 4))});
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(3, Qt::AscendingOrder);
    m_table->resizeColumnsToContents();
    QString text = tr("%1 suspected label issues in %2 samples, most suspect first.")
                       .arg(report.issues.size())
                       .arg(report.samples);
    if (!foldRuns.isEmpty())
        text += ' '
                + tr("The %1 fold trainings are runs %2 to %3, repeat group %4 (Runs panel, "
                     "grouped by repeat).")
                      .arg(foldRuns.size())
                      .arg(foldRuns.front())
                      .arg(foldRuns.back())
                      .arg(foldGroup);
    m_status->setText(text);
    setIdle(true);
}

void QualityView::setDuplicates(const data::DuplicateReport &report, const QStringList &classNames)
{
    m_groups->clear();
    std::int64_t exact = 0, near = 0;
    for (const data::DuplicateCluster &c : report.clusters) {
        QList<qint64> indices;
        for (const data::SampleRef &m : c.members)
            indices << m.index;
        QString text = c.exact ? tr("%1 exact copies").arg(indices.size())
                               : tr("%1 near copies").arg(indices.size());
        text += QStringLiteral(" · ") + className(classNames, c.members.front().label);
        if (c.mixedLabels)
            text += tr(" · labels differ");
        auto *item = new QListWidgetItem(text, m_groups);
        item->setData(kIssueIndicesRole, QVariant::fromValue(indices));
        (c.exact ? exact : near) += 1;
    }
    m_groups->setVisible(!report.clusters.empty());
    const std::int64_t pairs = report.pairs.empty() ? 0 : report.pairs[0][0];
    const std::int64_t exactPairs = report.exactPairs.empty() ? 0 : report.exactPairs[0][0];
    m_groupsTitle->setText(tr("Duplicate groups: %1 exact, %2 near (%3 pairs, %4 exact)")
                               .arg(exact)
                               .arg(near)
                               .arg(pairs)
                               .arg(exactPairs));
    m_status->setText(report.clusters.empty() ? tr("No duplicates found.")
                                              : tr("Click a group to show its copies."));
    setIdle(true);
}

void QualityView::setFailed(const QString &message)
{
    m_status->setText(message);
    setIdle(true);
}

int QualityView::folds() const
{
    return m_folds->value();
}

QString QualityView::statusText() const
{
    return m_status->text();
}

bool QualityView::exportCsv(const QString &path, QString *error) const
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    QTextStream out(&file);
    out << "index,split,given_label,given_name,suggested_label,suggested_name,self_confidence\n";
    for (const data::LabelIssue &i : m_issues)
        out << i.index << ",train," << i.given << "," << csvText(className(m_classNames, i.given))
            << "," << i.suggested << "," << csvText(className(m_classNames, i.suggested)) << ","
            << QString::number(i.selfConfidence, 'f', 6) << "\n";
    return true;
}

void QualityView::exportWithDialog()
{
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Export label issues"),
                                       QStringLiteral("label-issues.csv"), tr("CSV files (*.csv)"));
    QString error;
    if (!path.isEmpty() && !exportCsv(path, &error))
        m_status->setText(error);
}

} // namespace lathe::panels
