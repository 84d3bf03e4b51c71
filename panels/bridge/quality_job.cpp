#include "panels/bridge/quality_job.h"

#include "core/train/cross_val_probabilities.h"
#include "panels/bridge/dataset_source_state.h"

#include <QFutureWatcher>
#include <QtConcurrent>

namespace lathe::panels {

QualityJob::QualityJob(QObject *parent)
    : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
}

QualityJob::~QualityJob()
{
    cancel();
    m_pool.waitForDone();
}

void QualityJob::cancel()
{
    m_stop.request_stop();
    if (m_running)
        Q_EMIT failed(tr("cancelled"));
    ++m_generation;
    m_running = false;
}

std::function<void(std::int64_t, std::int64_t)> QualityJob::reporter(const QString &what)
{
    return [this, what, generation = m_generation, throttle = std::make_shared<ProgressThrottle>()](
               std::int64_t done, std::int64_t total) {
        if (!throttle->due(done, total))
            return;
        QMetaObject::invokeMethod(this, [this, what, generation, done, total] {
            if (generation == m_generation)
                Q_EMIT progress(what, done, total);
        });
    };
}

template<typename T, typename Work, typename Ready>
void QualityJob::start(Work work, Ready ready)
{
    auto *watcher = new QFutureWatcher<Result<T>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this,
            [this, watcher, generation = m_generation, ready] {
                watcher->deleteLater();
                if (generation != m_generation)
                    return;
                m_running = false;
                const Result<T> &result = watcher->result();
                if (result)
                    ready(*result);
                else
                    Q_EMIT failed(QString::fromStdString(result.error().toString()));
            });
    m_running = true;
    watcher->setFuture(QtConcurrent::run(&m_pool, std::move(work)));
}

void QualityJob::findDuplicates(std::shared_ptr<const data::Dataset> dataset,
                                const data::NearDuplicateOptions &options)
{
    cancel();
    m_stop = std::stop_source();
    auto report = reporter(tr("Comparing samples"));
    start<data::DuplicateReport>(
        [dataset, options, stop = m_stop.get_token(), report] {
            return data::findNearDuplicates({{"train", dataset}}, options, stop, report);
        },
        [this](const data::DuplicateReport &r) { Q_EMIT duplicatesReady(r); });
}

namespace {

struct FoundIssues
{
    data::LabelIssueReport report;
    std::string group;
    std::vector<std::int64_t> runIds;
};

} // namespace

void QualityJob::findLabelIssues(std::shared_ptr<const data::Dataset> dataset,
                                 train::RunConfig config, int folds, std::filesystem::path db)
{
    cancel();
    m_stop = std::stop_source();
    m_foldGroup.clear();
    m_foldRunIds.clear();
    auto report = reporter(tr("Training fold"));
    start<FoundIssues>(
        [dataset, config, folds, db, stop = m_stop.get_token(), report]() -> Result<FoundIssues> {
            auto cv = train::crossValidate(
                config, dataset, folds, {db, config.name}, stop,
                [report](std::int64_t fold, std::int64_t total) { report(fold, total); });
            if (!cv)
                return std::unexpected(cv.error());
            auto found = data::findLabelIssues(cv->probs, dataset->labels());
            if (!found)
                return std::unexpected(found.error());
            return FoundIssues{std::move(*found), cv->group, cv->runIds};
        },
        [this](const FoundIssues &r) {
            m_foldGroup = QString::fromStdString(r.group);
            m_foldRunIds.clear();
            for (const std::int64_t id : r.runIds)
                m_foldRunIds.append(id);
            Q_EMIT issuesReady(r.report);
        });
}

} // namespace lathe::panels
