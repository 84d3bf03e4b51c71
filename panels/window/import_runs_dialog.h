#pragma once

#include <QDialog>

#include <filesystem>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace lathe::panels {

class ImportJob;
struct ImportSummary;

/// "Import runs…" (File menu): a TensorBoard log folder or event file, or an MLflow store,
/// chosen with "Folder…" or "File…" (or typed), its format detected or chosen, imported into
/// the window's store by an ImportJob off the GUI thread with a progress bar and Cancel; then
/// what was imported or skipped and every damaged record with its file and byte offset.
/// Emits imported() after an import that wrote runs, so the window refreshes its Runs list.
/// Object names: importPath, importBrowseFolder, importBrowseFile, importFormat, importStart,
/// importCancel, importProgress, importResults. GUI thread only.
class ImportRunsDialog : public QDialog
{
    Q_OBJECT

public:
    ImportRunsDialog(std::filesystem::path db, QWidget *parent = nullptr);
    ~ImportRunsDialog() override;

Q_SIGNALS:
    /// An import finished; `runIds` are the runs it wrote or found imported before.
    void imported(const QList<qint64> &runIds);

private:
    void browse(bool folder);
    void startImport();
    void showProgress(int done, int total, const QString &current);
    void showSummary(const ImportSummary &summary);
    void showFailure(const QString &message);
    void setRunning(bool running);

    ImportJob *m_job = nullptr;
    QLineEdit *m_path = nullptr;
    QComboBox *m_format = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_cancel = nullptr;
    QProgressBar *m_progress = nullptr;
    QPlainTextEdit *m_results = nullptr;
};

} // namespace lathe::panels
