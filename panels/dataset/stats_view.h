#pragma once

#include "core/data/dataset_stats.h"

#include <QList>
#include <QStringList>
#include <QWidget>

class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;

namespace lathe::panels {

/// Shows a dataset's statistics: a progress bar (with Cancel) while they are computed, then
/// count, classes, shape, per-channel mean/std, the duplicate groups (click one to show it in
/// the grid) and the unreadable files with their reasons. GUI thread only.
class StatsView : public QWidget
{
    Q_OBJECT

public:
    explicit StatsView(QWidget *parent = nullptr);

    /// Back to the empty state ("load a dataset").
    void clear();
    /// Statistics are being computed: shows the progress bar.
    void setRunning();
    void setProgress(qint64 done, qint64 total);
    /// Shows finished statistics; class names label the duplicate groups.
    void setStats(const data::DatasetStats &stats, const QStringList &classNames);
    /// Shows why the statistics are missing (cancelled, unreadable dataset).
    void setFailed(const QString &message);
    /// The summary text shown (for tests and copy-paste).
    QString summaryText() const;

Q_SIGNALS:
    /// The user picked a duplicate group: the dataset indices of its copies.
    void duplicateGroupActivated(const QList<qint64> &indices);
    void cancelRequested();

private:
    void fillDuplicates(const data::DatasetStats &stats, const QStringList &classNames);
    void fillUnreadable(const data::DatasetStats &stats);

    QProgressBar *m_progress;
    QPushButton *m_cancel;
    QLabel *m_summary;
    QLabel *m_duplicatesTitle;
    QListWidget *m_duplicates;
    QLabel *m_unreadableTitle;
    QListWidget *m_unreadable;
};

} // namespace lathe::panels
