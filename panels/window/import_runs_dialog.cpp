#include "panels/window/import_runs_dialog.h"

#include "panels/bridge/import_job.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

ImportRunsDialog::ImportRunsDialog(std::filesystem::path db, QWidget *parent)
    : QDialog(parent)
    , m_job(new ImportJob(std::move(db), this))
{
    setObjectName("importRunsDialog");
    setWindowTitle(tr("Import runs"));
    m_path = new QLineEdit(this);
    m_path->setObjectName("importPath");
    m_path->setPlaceholderText(tr("a TensorBoard log folder or event file, or an mlruns folder"));
    auto *folder = new QPushButton(tr("Folder…"), this);
    folder->setObjectName("importBrowseFolder");
    auto *file = new QPushButton(tr("File…"), this);
    file->setObjectName("importBrowseFile");
    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(folder);
    pathRow->addWidget(file);
    m_format = new QComboBox(this);
    m_format->setObjectName("importFormat");
    m_format->addItem(tr("Detect"), QString());
    m_format->addItem(tr("TensorBoard event files"), QStringLiteral("tensorboard"));
    m_format->addItem(tr("MLflow file store"), QStringLiteral("mlflow"));
    auto *form = new QFormLayout;
    form->addRow(tr("From:"), pathRow);
    form->addRow(tr("Format:"), m_format);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName("importProgress");
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_results = new QPlainTextEdit(this);
    m_results->setObjectName("importResults");
    m_results->setReadOnly(true);
    m_results->setPlaceholderText(
        tr("Each run becomes a finished run: params as config keys, scalars as metrics. A run "
           "imported before is skipped."));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_start = buttons->addButton(tr("Import"), QDialogButtonBox::ActionRole);
    m_start->setObjectName("importStart");
    m_start->setDefault(true); // Return in the path field imports (Close is not the default)
    m_cancel = buttons->addButton(tr("Cancel import"), QDialogButtonBox::ActionRole);
    m_cancel->setObjectName("importCancel");
    m_cancel->setEnabled(false);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_results, 1);
    layout->addWidget(buttons);
    resize(640, 420);

    connect(folder, &QPushButton::clicked, this, [this] { browse(true); });
    connect(file, &QPushButton::clicked, this, [this] { browse(false); });
    connect(m_start, &QPushButton::clicked, this, &ImportRunsDialog::startImport);
    connect(m_cancel, &QPushButton::clicked, m_job, &ImportJob::cancel);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_job, &ImportJob::progress, this, &ImportRunsDialog::showProgress);
    connect(m_job, &ImportJob::finished, this, &ImportRunsDialog::showSummary);
    connect(m_job, &ImportJob::failed, this, &ImportRunsDialog::showFailure);
}

ImportRunsDialog::~ImportRunsDialog() = default;

void ImportRunsDialog::browse(bool folder)
{
    // Qt's own dialog: it has an object name tests can find, and it behaves the same everywhere.
    auto *dialog = new QFileDialog(this, folder ? tr("Import runs from a folder")
                                                : tr("Import a TensorBoard event file"));
    dialog->setObjectName(folder ? "importFolderDialog" : "importFileDialog");
    dialog->setOption(QFileDialog::DontUseNativeDialog);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(folder ? QFileDialog::Directory : QFileDialog::ExistingFile);
    if (!folder)
        dialog->setNameFilters(
            {tr("TensorBoard event files (events.out.tfevents.*)"), tr("All files (*)")});
    if (!m_path->text().isEmpty())
        dialog->setDirectory(m_path->text());
    connect(dialog, &QFileDialog::fileSelected, this,
            [this](const QString &path) { m_path->setText(path); });
    dialog->open();
}

void ImportRunsDialog::startImport()
{
    const QString path = m_path->text().trimmed();
    if (path.isEmpty()) {
        m_results->setPlainText(tr("Choose a folder or an event file to import first."));
        return;
    }
    if (!m_job->start(path, m_format->currentData().toString()))
        return;
    m_results->setPlainText(tr("Importing %1…").arg(path));
    m_progress->setRange(0, 0); // busy until the runs are counted
    setRunning(true);
}

void ImportRunsDialog::showProgress(int done, int total, const QString &current)
{
    m_progress->setRange(0, std::max(total, 1));
    m_progress->setValue(done);
    m_progress->setFormat(current.isEmpty() ? tr("%v of %m runs")
                                            : tr("%v of %m runs · %1").arg(current));
}

void ImportRunsDialog::showSummary(const ImportSummary &summary)
{
    setRunning(false);
    m_progress->setRange(0, std::max<int>(summary.runIds.size(), 1));
    m_progress->setValue(m_progress->maximum());
    m_progress->setFormat(tr("%1 imported, %2 skipped").arg(summary.imported).arg(summary.skipped));
    QStringList text{tr("%1 run(s) imported, %2 skipped (imported before) from the %3 source.")
                         .arg(summary.imported)
                         .arg(summary.skipped)
                         .arg(summary.format)};
    text << summary.runs;
    if (!summary.issues.isEmpty()) {
        text << QString() << tr("Damaged records or lines, left out (the rest was imported):");
        text << summary.issues;
    }
    m_results->setPlainText(text.join('\n'));
    Q_EMIT imported(summary.runIds);
}

void ImportRunsDialog::showFailure(const QString &message)
{
    setRunning(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("failed"));
    m_results->setPlainText(tr("Import failed: %1").arg(message));
}

void ImportRunsDialog::setRunning(bool running)
{
    m_start->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_path->setEnabled(!running);
    m_format->setEnabled(!running);
}

} // namespace lathe::panels
