#pragma once

#include "core/data/label_issues.h"
#include "core/data/near_duplicates.h"
#include "core/train/run_config.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QThreadPool>

#include <filesystem>
#include <memory>
#include <stop_token>

namespace lathe::data {
class Dataset;
}

namespace lathe::panels {

/// The Dataset panel's Quality work off the GUI thread: duplicates (data::findNearDuplicates
/// on the shown split) and suspected label issues (train::crossValidate, each fold stored as a
/// run of the window's store, then data::findLabelIssues). One job at a time: starting one cancels
/// the other. Progress comes at most ~30 times a second; a result or failed() ends each job
/// ("cancelled" after cancel()). GUI thread only.
class QualityJob : public QObject
{
    Q_OBJECT

public:
    explicit QualityJob(QObject *parent = nullptr);
    ~QualityJob() override;

    void findDuplicates(std::shared_ptr<const data::Dataset> dataset,
                        const data::NearDuplicateOptions &options = {});
    /// K-fold cross-validation of `config`'s model on `dataset`, then confident learning. The
    /// K trainings are stored as runs of the store at `db` (one repeat group; none when `db` is
    /// empty); a failure or cancel deletes those already stored.
    void findLabelIssues(std::shared_ptr<const data::Dataset> dataset, train::RunConfig config,
                         int folds, std::filesystem::path db = {});
    /// The repeat group and runs of the last label-issue search's folds (empty: none stored);
    /// set when issuesReady is emitted.
    const QString &foldGroup() const { return m_foldGroup; }
    const QList<qint64> &foldRunIds() const { return m_foldRunIds; }
    void cancel();
    bool isRunning() const { return m_running; }

Q_SIGNALS:
    void progress(const QString &what, qint64 done, qint64 total);
    void duplicatesReady(const lathe::data::DuplicateReport &report);
    void issuesReady(const lathe::data::LabelIssueReport &report);
    void failed(const QString &message);

private:
    template<typename T, typename Work, typename Ready>
    void start(Work work, Ready ready);
    /// A progress callback for the worker: queued to the GUI thread, throttled.
    std::function<void(std::int64_t, std::int64_t)> reporter(const QString &what);

    QThreadPool m_pool;
    std::stop_source m_stop;
    quint64 m_generation = 0;
    bool m_running = false;
    QString m_foldGroup;
    QList<qint64> m_foldRunIds;
};

} // namespace lathe::panels
