#include "panels/bridge/export_job.h"

#include "panels/bridge/signal_rate.h"
#include "core/export/run_export.h"
#include "core/train/stored_run.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>
#include <mutex>

namespace lathe::panels {

namespace {

// Thrown from the progress callback to unwind a cancelled export (exportRun has no stop token).
// exportRun reports progress between its steps only, and turns an exception thrown while it
// writes into an error after removing what it wrote; the job then reports the cancel.
struct ExportCancelled : std::exception
{
    const char *what() const noexcept override { return "the export was cancelled"; }
};

// Progress reports are queued to the GUI thread: a new phase at once, the same phase at most
// every 33 ms.
exporting::ExportOptions toOptions(const ExportRequest &request)
{
    exporting::ExportOptions options;
    options.format = request.format.toStdString();
    options.checkpoint = request.checkpoint.toStdString();
    options.quantizeInt8 = request.quantizeInt8;
    options.prune = request.prune;
    options.outDir = std::filesystem::path(request.outDir.toStdString());
    return options;
}

ExportOutcome toOutcome(const exporting::ExportReport &report)
{
    ExportOutcome outcome;
    for (const auto &file : report.files)
        outcome.files.push_back(QString::fromStdString(file.string()));
    outcome.parityChecked = report.parity.checked;
    outcome.parityPassed = report.parity.passed;
    outcome.maxAbsDiff = report.parity.maxAbsDiff;
    outcome.tolerance = report.parity.tolerance;
    outcome.parityDetail = QString::fromStdString(report.parity.detail);
    if (const auto &compression = report.compression) {
        outcome.hasCompression = true;
        outcome.accuracyBefore = compression->accuracyBefore;
        outcome.accuracyAfter = compression->accuracyAfter;
        outcome.bytesBefore = compression->bytesBefore;
        outcome.bytesAfter = compression->bytesAfter;
        outcome.weightsPruned = compression->weightsPruned;
    }
    return outcome;
}

} // namespace

struct ExportJob::Done
{
    Result<exporting::ExportReport> report;
};

QStringList exportFormatNames()
{
    QStringList names;
    for (const auto &format : exporting::exportFormats())
        names.push_back(QString::fromStdString(format));
    return names;
}

QStringList runCheckpointNames(const std::filesystem::path &db, qint64 runId)
{
    QStringList names;
    // An unreadable store has no checkpoints to offer.
    if (auto checkpoints = train::listCheckpoints(db, runId)) {
        for (const auto &info : *checkpoints) {
            if (!info.missing)
                names.push_back(QString::fromStdString(info.name));
        }
    }
    return names;
}

ExportJob::ExportJob(std::filesystem::path db, QObject *parent)
    : QObject(parent)
    , m_db(std::move(db))
    , m_cancelled(std::make_shared<std::atomic_bool>(false))
{
    qRegisterMetaType<ExportOutcome>();
    connect(&m_watcher, &QFutureWatcherBase::finished, this, &ExportJob::onDone);
}

ExportJob::~ExportJob()
{
    m_cancelled->store(true);
    m_watcher.disconnect(this);
    m_listWatcher.disconnect(this);
    m_watcher.waitForFinished();
    m_listWatcher.waitForFinished();
}

bool ExportJob::start(const ExportRequest &request)
{
    if (isRunning())
        return false;
    m_cancelled = std::make_shared<std::atomic_bool>(false);
    QPointer<ExportJob> self(this);
    auto report = [self, cancelled = m_cancelled, mutex = std::make_shared<std::mutex>(),
                   clock = std::make_shared<QElapsedTimer>(),
                   last = std::make_shared<std::string>()](const std::string &phase, double done) {
        // The last report comes after the export is recorded: too late to cancel.
        if (cancelled->load() && done < 1.0)
            throw ExportCancelled{};
        {
            const std::lock_guard lock(*mutex);
            if (clock->isValid() && phase == *last && done < 1.0
                && clock->elapsed() < kSignalIntervalMs)
                return;
            clock->start();
            *last = phase;
        }
        // Queued to the GUI thread; dropped if the job is gone by then.
        QMetaObject::invokeMethod(
            self.data(),
            [self, text = QString::fromStdString(phase), done] {
                if (self)
                    Q_EMIT self->progress(text, done);
            },
            Qt::QueuedConnection);
    };
    m_watcher.setFuture(
        QtConcurrent::run([db = m_db, ref = std::to_string(request.runId),
                           options = toOptions(request), cancelled = m_cancelled, report]() {
            auto done = std::make_shared<Done>();
            try {
                done->report = exporting::exportRun(db, ref, options, report);
            } catch (const ExportCancelled &) {
                done->report = fail(ErrorCode::Cancelled, "the export was cancelled");
            } catch (const std::exception &e) {
                done->report = fail(ErrorCode::Internal, e.what(), "export");
            }
            if (!done->report && cancelled->load())
                done->report = fail(ErrorCode::Cancelled, "the export was cancelled");
            return done;
        }));
    return true;
}

void ExportJob::cancel()
{
    m_cancelled->store(true);
}

void ExportJob::cancelAndDeleteLater()
{
    cancel();
    m_listWatcher.disconnect(this);
    m_watcher.disconnect(this);
    if (!isRunning() && !m_listWatcher.isRunning()) {
        deleteLater();
        return;
    }
    setParent(nullptr);
    // Whichever watcher ends last deletes the job (deleteLater runs once).
    for (QFutureWatcherBase *watcher :
         std::initializer_list<QFutureWatcherBase *>{&m_watcher, &m_listWatcher}) {
        connect(watcher, &QFutureWatcherBase::finished, this, [this] {
            if (!isRunning() && !m_listWatcher.isRunning())
                deleteLater();
        });
    }
}

bool ExportJob::isRunning() const
{
    return m_watcher.isRunning();
}

void ExportJob::listCheckpoints(qint64 runId)
{
    // A newer listing supersedes one in flight (its answer is dropped).
    m_listWatcher.disconnect(this);
    m_listWatcher.waitForFinished();
    connect(&m_listWatcher, &QFutureWatcherBase::finished, this,
            [this, runId] { Q_EMIT checkpointsListed(runId, m_listWatcher.result()); });
    m_listWatcher.setFuture(
        QtConcurrent::run([db = m_db, runId] { return runCheckpointNames(db, runId); }));
}

void ExportJob::onDone()
{
    const auto done = m_watcher.result();
    if (done->report)
        Q_EMIT finished(toOutcome(*done->report));
    else
        Q_EMIT failed(QString::fromStdString(done->report.error().toString()),
                      done->report.error().code == ErrorCode::Cancelled);
}

} // namespace lathe::panels
