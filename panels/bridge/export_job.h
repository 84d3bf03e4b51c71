#pragma once

// Exporting a run from the GUI: core's exportRun on a worker thread, reported back as plain Qt
// values. Torch-free: panels include this header.

#include <QFutureWatcher>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <filesystem>
#include <memory>

namespace lathe::panels {

/// What to export: run `runId` of the store, one of its checkpoints, in `format` (one of
/// exportFormatNames()), optionally int8-quantised and pruned, into `outDir`.
struct ExportRequest
{
    qint64 runId = 0;
    QString format = QStringLiteral("safetensors");
    QString checkpoint; ///< best | last | epoch-<N>; empty = best, else last
    bool quantizeInt8 = false;
    double prune = 0.0; ///< share of weights zeroed, [0, 1)
    QString outDir;
};

/// What an export wrote and how its check went (lathe::exporting::ExportReport as plain values).
struct ExportOutcome
{
    QStringList files; ///< absolute paths, in the order they were written
    bool parityChecked = false;
    bool parityPassed = false;
    double maxAbsDiff = 0.0;
    double tolerance = 0.0;
    QString parityDetail;        ///< how it was checked, or why it was skipped
    bool hasCompression = false; ///< the accuracy and size fields below are set
    double accuracyBefore = 0.0;
    double accuracyAfter = 0.0;
    qint64 bytesBefore = 0;
    qint64 bytesAfter = 0;
    qint64 weightsPruned = 0;
};

/// The formats exportRun writes, in display order ("torchscript", "onnx", "safetensors").
/// Thread-safe.
QStringList exportFormatNames();

/// The names of run `runId`'s checkpoints the store records and whose files exist ("best",
/// "last", "epoch-N", in that order: the first is the default); empty when it has none or the
/// run does not exist. Blocking (opens the store): call it off the GUI thread. Thread-safe.
QStringList runCheckpointNames(const std::filesystem::path &db, qint64 runId);

/// Runs lathe::exporting::exportRun on a worker thread (QtConcurrent) for a widget: progress()
/// at most ~30 times a second and at every new phase, then exactly one of finished() or
/// failed(). Also lists a run's checkpoints off the GUI thread (checkpointsListed()). One export
/// at a time. cancel() stops a running export at its next progress report, between two of its
/// steps (what it wrote is removed, nothing is recorded), and it ends with failed(..., true);
/// an export past its last step finishes anyway. Create, use and destroy on
/// the GUI thread; the destructor cancels a running export and waits for it.
class ExportJob : public QObject
{
    Q_OBJECT

public:
    explicit ExportJob(std::filesystem::path db, QObject *parent = nullptr);
    ~ExportJob() override;

    const std::filesystem::path &db() const { return m_db; }

    /// Starts exporting; false (and nothing starts) when an export is already running.
    bool start(const ExportRequest &request);
    /// Asks a running export to stop.
    void cancel();
    /// Cancels a running export and deletes the job once it has stopped (at once when none
    /// runs), without blocking: for a widget that goes away while its export runs.
    void cancelAndDeleteLater();
    bool isRunning() const;
    /// Lists run `runId`'s checkpoints on a worker thread; the answer is checkpointsListed().
    void listCheckpoints(qint64 runId);

Q_SIGNALS:
    /// The export is at `phase` ("loading", "writing", "checking parity", ...), `done` in [0, 1].
    void progress(const QString &phase, double done);
    void finished(const lathe::panels::ExportOutcome &outcome);
    /// The export failed (`message` names the run, option or stage) or was cancelled.
    void failed(const QString &message, bool cancelled);
    /// The checkpoints of run `runId` (see runCheckpointNames()).
    void checkpointsListed(qint64 runId, const QStringList &names);

private:
    struct Done;
    void onDone();

    std::filesystem::path m_db;
    QFutureWatcher<std::shared_ptr<Done>> m_watcher;
    QFutureWatcher<QStringList> m_listWatcher;
    std::shared_ptr<std::atomic_bool> m_cancelled;
};

} // namespace lathe::panels

Q_DECLARE_METATYPE(lathe::panels::ExportOutcome)
