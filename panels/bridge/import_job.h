#pragma once

// Importing other trackers' runs from the GUI ("Import runs…"): core's importRuns on a worker
// thread, reported back as plain Qt values. Torch-free: panels include this header.

#include <QFutureWatcher>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <filesystem>
#include <memory>
#include <stop_token>

namespace lathe::panels {

/// What an import did, as text for a dialog.
struct ImportSummary
{
    QString format;       ///< "tensorboard" or "mlflow"
    int imported = 0;     ///< runs written
    int skipped = 0;      ///< runs imported before (nothing written)
    QList<qint64> runIds; ///< the runs written and skipped, in source order
    QStringList runs;     ///< one line per run: "run 12  name: 3 series, 400 samples"
    QStringList issues;   ///< "FILE: byte N: what" for each damaged record or line
};

/// Runs lathe::interop::importRuns on a worker thread (QtConcurrent; the store opened there,
/// never on the GUI thread): progress() per run, then exactly one of finished() or failed().
/// One import at a time. cancel() stops it before its next run (the runs already imported
/// stay). Create, use and destroy on the GUI thread; the destructor cancels a running import
/// and waits for it.
class ImportJob : public QObject
{
    Q_OBJECT

public:
    explicit ImportJob(std::filesystem::path db, QObject *parent = nullptr);
    ~ImportJob() override;

    /// Starts importing `path`; `format` is "tensorboard", "mlflow" or empty (detected).
    /// False (nothing starts) when an import is already running.
    bool start(const QString &path, const QString &format = {});
    void cancel();
    bool isRunning() const;

Q_SIGNALS:
    /// `done` of `total` runs read, `current` the run being read now.
    void progress(int done, int total, const QString &current);
    void finished(const lathe::panels::ImportSummary &summary);
    /// The import failed: `message` names the path or file and what is wrong.
    void failed(const QString &message);

private:
    struct Done;
    void onDone();

    std::filesystem::path m_db;
    QFutureWatcher<std::shared_ptr<Done>> m_watcher;
    std::stop_source m_stop;
};

} // namespace lathe::panels
Q_DECLARE_METATYPE(lathe::panels::ImportSummary)
