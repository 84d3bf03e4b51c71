#include "panels/dataset/stats_view.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

constexpr int kStatIndicesRole = Qt::UserRole + 1;
constexpr int kMaxListedIndices = 6;

QString perChannel(const std::vector<double> &values)
{
    QStringList parts;
    for (double value : values)
        parts << QString::number(value, 'f', 4);
    return parts.join(QStringLiteral(", "));
}

QString shapeText(const std::vector<std::int64_t> &shape)
{
    QStringList parts;
    for (std::int64_t dim : shape)
        parts << QString::number(dim);
    return parts.join(QStringLiteral(" × "));
}

} // namespace

StatsView::StatsView(QWidget *parent)
    : QWidget(parent)
    , m_progress(new QProgressBar(this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_summary(new QLabel(this))
    , m_duplicatesTitle(new QLabel(this))
    , m_duplicates(new QListWidget(this))
    , m_unreadableTitle(new QLabel(this))
    , m_unreadable(new QListWidget(this))
{
    m_progress->setObjectName(QStringLiteral("statsProgress"));
    m_cancel->setObjectName(QStringLiteral("statsCancel"));
    m_summary->setObjectName(QStringLiteral("statsSummary"));
    m_duplicates->setObjectName(QStringLiteral("duplicateList"));
    m_unreadable->setObjectName(QStringLiteral("unreadableList"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);
    m_summary->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_duplicates->setToolTip(tr("Click a group to show its copies in the grid"));

    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancel);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(progressRow);
    layout->addWidget(m_summary);
    layout->addWidget(m_duplicatesTitle);
    layout->addWidget(m_duplicates, 2);
    layout->addWidget(m_unreadableTitle);
    layout->addWidget(m_unreadable, 1);
    layout->addStretch(0); // keeps the summary at the top while the lists are hidden

    connect(m_cancel, &QPushButton::clicked, this, &StatsView::cancelRequested);
    connect(m_duplicates, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        Q_EMIT duplicateGroupActivated(item->data(kStatIndicesRole).value<QList<qint64>>());
    });
    clear();
}

void StatsView::clear()
{
    m_progress->hide();
    m_cancel->hide();
    m_summary->setText(tr("Load a dataset to see its statistics."));
    m_duplicatesTitle->hide();
    m_duplicates->clear();
    m_duplicates->hide();
    m_unreadableTitle->hide();
    m_unreadable->clear();
    m_unreadable->hide();
}

void StatsView::setRunning()
{
    clear();
    m_summary->setText(tr("Computing statistics…"));
    m_progress->setRange(0, 0);
    m_progress->show();
    m_cancel->show();
}

void StatsView::setProgress(qint64 done, qint64 total)
{
    m_progress->setRange(0, 1000);
    m_progress->setValue(total > 0 ? int(1000 * done / total) : 0);
    m_progress->setFormat(
        tr("%1 of %2 samples").arg(QLocale().toString(done), QLocale().toString(total)));
}

void StatsView::setStats(const data::DatasetStats &stats, const QStringList &classNames)
{
    clear();
    const QLocale locale;
    qint64 mixed = 0;
    for (const data::DuplicateGroup &group : stats.duplicates)
        mixed += group.mixedLabels ? 1 : 0;
    QString text
        = tr("Samples: %1\nClasses: %2\nShape (C × H × W): %3\n"
             "Mean per channel: %4\nStd per channel: %5\n")
              .arg(locale.toString(stats.count))
              .arg(stats.classNames.size())
              .arg(shapeText(stats.sampleShape), perChannel(stats.mean), perChannel(stats.std));
    text += tr("Exact duplicates: %1 groups, %2 redundant samples, %3 groups with mixed labels\n"
               "Unreadable files: %4")
                .arg(locale.toString(qint64(stats.duplicates.size())),
                     locale.toString(stats.redundantSamples()), locale.toString(mixed),
                     locale.toString(qint64(stats.unreadable.size())));
    m_summary->setText(text);
    fillDuplicates(stats, classNames);
    fillUnreadable(stats);
}

void StatsView::fillDuplicates(const data::DatasetStats &stats, const QStringList &classNames)
{
    if (stats.duplicates.empty())
        return;
    m_duplicatesTitle->setText(tr("Duplicate groups (click to show in the grid):"));
    m_duplicatesTitle->show();
    for (const data::DuplicateGroup &group : stats.duplicates) {
        QList<qint64> indices;
        QStringList shown;
        for (std::int64_t index : group.indices) {
            indices << index;
            if (shown.size() < kMaxListedIndices)
                shown << QStringLiteral("#%1").arg(index);
        }
        if (int(group.indices.size()) > kMaxListedIndices)
            shown << QStringLiteral("…");
        QString text = tr("%1 copies: %2").arg(group.indices.size()).arg(shown.join(", "));
        if (group.mixedLabels)
            text += tr("  (mixed labels)");
        else
            text += QStringLiteral("  (%1)").arg(classNames.value(int(group.label)));
        auto *item = new QListWidgetItem(text, m_duplicates);
        item->setData(kStatIndicesRole, QVariant::fromValue(indices));
    }
    m_duplicates->show();
}

void StatsView::fillUnreadable(const data::DatasetStats &stats)
{
    if (stats.unreadable.empty())
        return;
    m_unreadableTitle->setText(tr("Unreadable files (skipped):"));
    m_unreadableTitle->show();
    for (const data::UnreadableItem &item : stats.unreadable)
        m_unreadable->addItem(tr("%1: %2").arg(QString::fromStdString(item.path.string()),
                                               QString::fromStdString(item.reason)));
    m_unreadable->show();
}

void StatsView::setFailed(const QString &message)
{
    clear();
    m_summary->setText(tr("No statistics: %1").arg(message));
}

QString StatsView::summaryText() const
{
    return m_summary->text();
}

} // namespace lathe::panels
