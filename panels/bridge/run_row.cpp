#include "panels/bridge/run_row.h"

#include "core/track/run_summary.h"

#include <QDir>
#include <QFileInfo>
#include <QObject>

#include <algorithm>
#include <cmath>

namespace lathe::panels {

namespace {

// The name of the file or folder a run reads ("fashion-mnist" for the default
// /usr/share/datasets/fashion-mnist, "flowers" for an image folder, "wine.csv"), else the
// reader's name.
QString datasetLabel(const std::string &dataset, const std::string &path)
{
    const QString name = QFileInfo(QDir::cleanPath(QString::fromStdString(path))).fileName();
    return name.isEmpty() ? QString::fromStdString(dataset) : name;
}

} // namespace

QString runStatusText(track::RunStatus status)
{
    QString text = QString::fromLatin1(track::toString(status));
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text;
}

QColor runStatusColor(track::RunStatus status)
{
    switch (status) {
    case track::RunStatus::Running: return QColor(0x1f, 0x6f, 0xd0);
    case track::RunStatus::Finished: return QColor(0x2e, 0x8b, 0x3e);
    case track::RunStatus::Failed: return QColor(0xc6, 0x28, 0x28);
    case track::RunStatus::Interrupted:
    case track::RunStatus::Stopped: return QColor(0xb0, 0x6a, 0x00);
    case track::RunStatus::Pruned: return QColor(0x7a, 0x5c, 0x99);
    default: return {};
    }
}

QString formatDuration(double seconds)
{
    if (seconds <= 0)
        return QStringLiteral("—");
    const auto total = qint64(std::llround(seconds));
    if (total < 60)
        return QStringLiteral("%1s").arg(total);
    if (total < 3600)
        return QStringLiteral("%1m %2s").arg(total / 60).arg(total % 60, 2, 10, QChar('0'));
    return QStringLiteral("%1h %2m").arg(total / 3600).arg(total / 60 % 60, 2, 10, QChar('0'));
}

QString formatPercent(const std::optional<double> &value)
{
    if (!value || std::isnan(*value))
        return QStringLiteral("—");
    return QString::number(*value * 100.0, 'f', 2) + QStringLiteral(" %");
}

QString formatLoss(const std::optional<double> &value)
{
    if (!value || std::isnan(*value))
        return QStringLiteral("—");
    return QString::number(*value, 'g', 4);
}

QString lineageText(qint64 parentId, const QString &parentName)
{
    if (parentName.isEmpty())
        return QObject::tr("fine-tuned from run %1").arg(parentId);
    return QObject::tr("fine-tuned from run %1 (%2)").arg(parentId).arg(parentName);
}

QStringList parseTags(const QString &text)
{
    QStringList tags;
    for (const auto &part : text.split(QLatin1Char(','))) {
        const auto tag = part.trimmed();
        if (!tag.isEmpty() && !tags.contains(tag))
            tags.push_back(tag);
    }
    std::sort(tags.begin(), tags.end(),
              [](const QString &a, const QString &b) { return a.toStdString() < b.toStdString(); });
    return tags;
}

RunRow RunRow::fromSummary(const track::RunSummary &summary)
{
    const auto &run = summary.run;
    RunRow row;
    row.id = run.id;
    row.name = QString::fromStdString(run.name);
    row.status = run.status;
    row.createdAt = run.createdAt;
    row.startedAt = run.startedAt;
    row.endedAt = run.endedAt;
    row.model = QString::fromStdString(summary.modelArch);
    row.dataset = datasetLabel(summary.dataset, summary.dataPath);
    if (!summary.dataset.empty())
        row.dataSource = QString::fromStdString(summary.dataset)
                         + (summary.dataPath.empty()
                                ? QString()
                                : QStringLiteral(": ") + QString::fromStdString(summary.dataPath));
    row.optimizer = QString::fromStdString(summary.optimizerName);
    row.lr = summary.lr;
    row.bestValAccuracy = summary.bestValAccuracy;
    row.testAccuracy = summary.testAccuracy;
    row.finalTrainLoss = summary.finalTrainLoss;
    for (const auto &tag : run.tags)
        row.tags.push_back(QString::fromStdString(tag));
    row.notes = QString::fromStdString(run.notes);
    row.errorMessage = QString::fromStdString(run.errorMessage);
    row.parentId = run.parentId.value_or(0);
    row.idle = summary.idle;
    row.updateFilterText();
    return row;
}

void RunRow::updateFilterText()
{
    filterText = QStringList{name,      tags.join(QLatin1Char(' ')), notes, model, dataset,
                             optimizer, runStatusText(status)}
                     .join(QLatin1Char('\n'))
                     .toLower();
}

double RunRow::durationSeconds(double nowSeconds) const
{
    return track::trainingSeconds(startedAt, endedAt, idle, nowSeconds);
}

double RunRow::wallSeconds(double nowSeconds) const
{
    return track::wallSeconds(startedAt, endedAt, nowSeconds);
}

} // namespace lathe::panels
