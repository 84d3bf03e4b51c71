#include "panels/bridge/import_job.h"

#include "core/interop/run_importer.h"

#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

namespace lathe::panels {

struct ImportJob::Done
{
    Result<interop::ImportReport> report = fail(ErrorCode::Internal, "the import did not run");
};

namespace {

ImportSummary summarize(const interop::ImportReport &report)
{
    ImportSummary summary;
    summary.format = QString::fromStdString(std::string(interop::toString(report.format)));
    summary.imported = int(report.importedCount());
    summary.skipped = int(report.skippedCount());
    for (const auto &run : report.runs) {
        summary.runIds << run.runId;
        const auto head
            = QStringLiteral("run %1  %2").arg(run.runId).arg(QString::fromStdString(run.name));
        if (run.skipped)
            summary.runs << head + QObject::tr(": imported before, skipped");
        else
            summary.runs << head
                                + QObject::tr(": %1 params, %2 series, %3 samples")
                                      .arg(run.params)
                                      .arg(run.series)
                                      .arg(run.samples);
        for (const auto &issue : run.issues)
            summary.issues << QString::fromStdString(issue.toString());
    }
    return summary;
}

} // namespace

ImportJob::ImportJob(std::filesystem::path db, QObject *parent)
    : QObject(parent)
    , m_db(std::move(db))
{
    connect(&m_watcher, &QFutureWatcherBase::finished, this, &ImportJob::onDone);
}

ImportJob::~ImportJob()
{
    m_stop.request_stop();
    m_watcher.disconnect(this);
    m_watcher.waitForFinished();
}

bool ImportJob::start(const QString &path, const QString &format)
{
    if (isRunning())
        return false;
    m_stop = std::stop_source();
    interop::ImportOptions options;
    options.stop = m_stop.get_token();
    if (!format.isEmpty())
        options.format = interop::parseSourceFormat(format.toStdString());
    QPointer<ImportJob> self(this);
    options.progress = [self](std::size_t done, std::size_t total, const std::string &current) {
        // Queued to the GUI thread; dropped if the job is gone by then.
        QMetaObject::invokeMethod(
            self.data(),
            [self, done, total, name = QString::fromStdString(current)] {
                if (self)
                    Q_EMIT self->progress(int(done), int(total), name);
            },
            Qt::QueuedConnection);
    };
    m_watcher.setFuture(QtConcurrent::run([db = m_db, source = path.toStdString(), options] {
        auto done = std::make_shared<Done>();
        try {
            done->report = interop::importRuns(db, source, options);
        } catch (const std::exception &e) {
            done->report = fail(ErrorCode::Internal, e.what(), "import");
        }
        return done;
    }));
    return true;
}

void ImportJob::cancel()
{
    m_stop.request_stop();
}

bool ImportJob::isRunning() const
{
    return m_watcher.isRunning();
}

void ImportJob::onDone()
{
    const auto done = m_watcher.result();
    if (!done->report)
        Q_EMIT failed(QString::fromStdString(done->report.error().toString()));
    else
        Q_EMIT finished(summarize(*done->report));
}

} // namespace lathe::panels
