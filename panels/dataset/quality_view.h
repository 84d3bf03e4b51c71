#pragma once

#include "core/data/label_issues.h"
#include "core/data/near_duplicates.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>

class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QStandardItemModel;
class QTableView;

namespace lathe::panels {

/// The Dataset panel's Quality tab: buttons that start the duplicate search and the label-issue
/// search (K-fold, with the number of folds), a progress bar with Cancel while one runs, the
/// suspected label issues as a sortable table (index, given label, suggested label,
/// self-confidence; double-click opens the sample), the duplicate groups (click one to show
/// its copies), and Export CSV. Holds no dataset: the panel starts the work (QualityJob) and
/// hands the results here. GUI thread only.
class QualityView : public QWidget
{
    Q_OBJECT

public:
    explicit QualityView(QWidget *parent = nullptr);

    /// Back to the empty state: no results, buttons enabled when `hasDataset`.
    void clear(bool hasDataset);
    /// Work is running: shows `what` and the progress bar with Cancel, disables the buttons.
    void setRunning(const QString &what);
    void setProgress(const QString &what, qint64 done, qint64 total);
    /// `foldGroup` and `foldRuns`: the stored fold trainings' repeat group and runs, named in
    /// the status line (empty: none stored).
    void setIssues(const data::LabelIssueReport &report, const QStringList &classNames,
                   const QString &foldGroup = {}, const QList<qint64> &foldRuns = {});
    void setDuplicates(const data::DuplicateReport &report, const QStringList &classNames);
    void setFailed(const QString &message);
    int folds() const;

    /// Writes the issues shown (most suspect first) as CSV: index, split, given label and name,
    /// suggested label and name, self-confidence. False with `error` set when it cannot.
    bool exportCsv(const QString &path, QString *error = nullptr) const;
    QString statusText() const;
    QTableView *issueTable() const { return m_table; }
    QListWidget *groupList() const { return m_groups; }

Q_SIGNALS:
    void duplicatesRequested();
    void issuesRequested(int folds);
    void cancelRequested();
    /// The user opened a suspected issue: its dataset index.
    void sampleActivated(qint64 index);
    /// The user picked a duplicate group: the dataset indices of its copies.
    void duplicateGroupActivated(const QList<qint64> &indices);

private:
    void exportWithDialog();
    void setIdle(bool hasDataset);

    QPushButton *m_findDuplicates;
    QPushButton *m_findIssues;
    QSpinBox *m_folds;
    QPushButton *m_cancel;
    QPushButton *m_export;
    QProgressBar *m_progress;
    QLabel *m_status;
    QStandardItemModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    QLabel *m_groupsTitle;
    QListWidget *m_groups;
    std::vector<data::LabelIssue> m_issues;
    QStringList m_classNames;
};

} // namespace lathe::panels
