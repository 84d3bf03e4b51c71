#pragma once

#include "panels/bridge/export_job.h"

#include <QDialog>
#include <QUrl>

#include <filesystem>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpacerItem;

namespace lathe::panels {

/// Exports one run: format, checkpoint (the run's own, listed off the GUI thread), int8
/// weights, pruning and the output folder (by default <db folder>/exports/<run>-<format>),
/// then Export runs it on a worker thread (ExportJob) with a progress bar and the phase. When it
/// is done the dialog lists the files written, the parity check (passed, failed or skipped,
/// with the largest difference and the tolerance) and, when quantising or pruning, accuracy and
/// size before and after; a failure is shown in red with what it names. Export is disabled
/// while an export runs; the bottom button is Cancel then and Close otherwise. Closing while an
/// export runs cancels it without waiting. After a successful export "Open folder" opens the
/// folder in the desktop's file manager (QDesktopServices) and exported() says what was
/// written. Its parts are named "export<Part>" (Format, Checkpoint, Int8, Prune, Folder, Start,
/// Close, Progress, Status, Parity, Files, OpenFolder). GUI thread only.
class ExportDialog : public QDialog
{
    Q_OBJECT

public:
    enum class State { Idle, Running, Done, Failed };

    /// Exports run `runId` (shown as `runName`) of the store at `db`.
    ExportDialog(std::filesystem::path db, qint64 runId, QString runName,
                 QWidget *parent = nullptr);
    ~ExportDialog() override;

    qint64 runId() const { return m_runId; }
    State state() const { return m_state; }
    /// The options as the form shows them.
    ExportRequest request() const;
    /// <db folder>/exports/<run name>-<format>, the run name made safe for a file name.
    QString defaultFolder(const QString &format) const;

    /// The phase, the outcome or the error shown under the progress bar.
    QString statusText() const;
    /// "Parity: passed, …" after an export; empty before.
    QString parityText() const;
    /// "Accuracy … → …, size … → …" after an export that quantised or pruned; empty otherwise.
    QString compressionText() const;
    /// The files the last export wrote.
    QStringList files() const { return m_files; }
    /// The folder the last successful export wrote into, as the URL Open folder opens; empty
    /// before one.
    QUrl exportedFolderUrl() const { return m_exportedFolder; }

public Q_SLOTS:
    /// Starts the export with the form's options; does nothing while one runs or when the run
    /// has no checkpoint.
    void startExport();

Q_SIGNALS:
    /// The run's checkpoints have been listed (the combo is filled).
    void checkpointsLoaded();
    /// An export ended: `ok` false for a failure or a cancel.
    void exportEnded(bool ok);
    /// An export of run `runId` (`runName`) succeeded: it wrote `files` (absolute paths) into
    /// `folder`. For the window's log.
    void exported(qint64 runId, const QString &runName, const QString &folder,
                  const QStringList &files);

protected:
    void reject() override;

private:
    void buildUi();
    void browse();
    void onFormatChanged();
    void onCheckpoints(qint64 runId, const QStringList &names);
    void onProgress(const QString &phase, double done);
    void onFinished(const ExportOutcome &outcome);
    void openFolder();
    void onFailed(const QString &message, bool cancelled);
    void setState(State state);
    void showStatus(const QString &text, bool error = false);
    void updateButtons();

    std::filesystem::path m_db;
    qint64 m_runId = 0;
    QString m_runName;
    ExportJob *m_job = nullptr;
    State m_state = State::Idle;
    bool m_folderEdited = false;
    QStringList m_files;
    QUrl m_exportedFolder;

    QComboBox *m_format = nullptr;
    QComboBox *m_checkpoint = nullptr;
    QCheckBox *m_int8 = nullptr;
    QDoubleSpinBox *m_prune = nullptr;
    QLineEdit *m_folder = nullptr;
    QPushButton *m_browseButton = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_parity = nullptr;
    QLabel *m_compression = nullptr;
    QListWidget *m_fileList = nullptr;
    QSpacerItem *m_filler = nullptr;
    QPushButton *m_exportButton = nullptr;
    QPushButton *m_closeButton = nullptr;
    QPushButton *m_openFolderButton = nullptr;
};

} // namespace lathe::panels
