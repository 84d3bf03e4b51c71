#include "panels/runs/export_dialog.h"

#include "core/util/file_name.h"
#include "panels/bridge/run_row.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpacerItem>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

namespace {

constexpr int kProgressSteps = 1000;
const QString kErrorStyle = QStringLiteral("color: #c62828;");
const QString kPassedStyle = QStringLiteral("color: #2e7d32;");

QString capitalised(QString text)
{
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text;
}

QString threeDigits(double value)
{
    return QString::number(value, 'g', 3);
}

QString parityLine(const ExportOutcome &outcome)
{
    const QString detail = outcome.parityDetail.isEmpty()
                               ? QString()
                               : QStringLiteral(" (%1)").arg(outcome.parityDetail);
    if (!outcome.parityChecked)
        return QObject::tr("Parity: skipped%1").arg(detail);
    if (outcome.parityPassed)
        return QObject::tr("Parity: passed, max |diff| %1 ≤ tolerance %2%3")
            .arg(threeDigits(outcome.maxAbsDiff), threeDigits(outcome.tolerance), detail);
    return QObject::tr("Parity: FAILED, max |diff| %1 > tolerance %2%3")
        .arg(threeDigits(outcome.maxAbsDiff), threeDigits(outcome.tolerance), detail);
}

QString compressionLine(const ExportOutcome &outcome)
{
    if (!outcome.hasCompression)
        return {};
    const QLocale locale;
    QString text
        = QObject::tr("Accuracy %1 → %2 · weights %3 → %4")
              .arg(formatPercent(outcome.accuracyBefore), formatPercent(outcome.accuracyAfter),
                   locale.formattedDataSize(outcome.bytesBefore),
                   locale.formattedDataSize(outcome.bytesAfter));
    if (outcome.weightsPruned > 0)
        text += QObject::tr(" · %1 weights pruned").arg(locale.toString(outcome.weightsPruned));
    return text;
}

} // namespace

ExportDialog::ExportDialog(std::filesystem::path db, qint64 runId, QString runName, QWidget *parent)
    : QDialog(parent)
    , m_db(std::move(db))
    , m_runId(runId)
    , m_runName(std::move(runName))
    , m_job(new ExportJob(m_db, this))
{
    setObjectName(QStringLiteral("exportDialog"));
    setWindowTitle(tr("Export run %1 (%2)").arg(m_runId).arg(m_runName));
    buildUi();
    connect(m_job, &ExportJob::checkpointsListed, this, &ExportDialog::onCheckpoints);
    connect(m_job, &ExportJob::progress, this, &ExportDialog::onProgress);
    connect(m_job, &ExportJob::finished, this, &ExportDialog::onFinished);
    connect(m_job, &ExportJob::failed, this, &ExportDialog::onFailed);
    onFormatChanged();
    setState(State::Idle);
    showStatus(tr("Reading the run's checkpoints…"));
    m_job->listCheckpoints(m_runId);
}

ExportDialog::~ExportDialog()
{
    // A running export is cancelled and left to end on its own: waiting would block the GUI.
    m_job->disconnect(this);
    m_job->cancelAndDeleteLater();
}

void ExportDialog::buildUi()
{
    m_format = new QComboBox(this);
    m_format->setObjectName(QStringLiteral("exportFormat"));
    m_format->addItems(exportFormatNames());
    m_format->setToolTip(tr("TorchScript (.pt) for LibTorch and PyTorch, ONNX for other "
                            "runtimes, safetensors weights with a JSON config"));
    m_checkpoint = new QComboBox(this);
    m_checkpoint->setObjectName(QStringLiteral("exportCheckpoint"));
    m_int8 = new QCheckBox(tr("int8 weights"), this);
    m_int8->setObjectName(QStringLiteral("exportInt8"));
    m_int8->setToolTip(tr("Per-channel int8 quantisation of the weights (about 4× smaller)"));
    m_prune = new QDoubleSpinBox(this);
    m_prune->setObjectName(QStringLiteral("exportPrune"));
    m_prune->setRange(0.0, 0.95);
    m_prune->setSingleStep(0.05);
    m_prune->setDecimals(2);
    m_prune->setToolTip(tr("Share of the weights zeroed by global magnitude pruning"));
    m_folder = new QLineEdit(this);
    m_folder->setObjectName(QStringLiteral("exportFolder"));
    m_browseButton = new QPushButton(tr("Browse…"), this);
    m_browseButton->setObjectName(QStringLiteral("exportBrowse"));

    auto *compression = new QHBoxLayout;
    compression->addWidget(m_int8);
    compression->addSpacing(16);
    compression->addWidget(new QLabel(tr("Prune:"), this));
    compression->addWidget(m_prune);
    compression->addStretch(1);
    auto *folder = new QHBoxLayout;
    folder->addWidget(m_folder, 1);
    folder->addWidget(m_browseButton);
    auto *run = new QLabel(tr("%1 · %2").arg(m_runId).arg(m_runName), this);
    run->setObjectName(QStringLiteral("exportRun"));
    run->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *form = new QFormLayout;
    form->addRow(tr("Run:"), run);
    form->addRow(tr("Format:"), m_format);
    form->addRow(tr("Checkpoint:"), m_checkpoint);
    form->addRow(tr("Compression:"), compression);
    form->addRow(tr("Output folder:"), folder);

    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_progress->setRange(0, kProgressSteps);
    m_progress->setValue(0);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("exportStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_parity = new QLabel(this);
    m_parity->setObjectName(QStringLiteral("exportParity"));
    m_parity->setWordWrap(true);
    m_compression = new QLabel(this);
    m_compression->setObjectName(QStringLiteral("exportCompression"));
    m_compression->setWordWrap(true);
    m_fileList = new QListWidget(this);
    m_fileList->setObjectName(QStringLiteral("exportFiles"));
    m_fileList->setMinimumHeight(90);

    m_exportButton = new QPushButton(tr("Export"), this);
    m_exportButton->setObjectName(QStringLiteral("exportStart"));
    m_exportButton->setDefault(true);
    m_closeButton = new QPushButton(tr("Close"), this);
    m_closeButton->setObjectName(QStringLiteral("exportClose"));
    m_closeButton->setAutoDefault(false);
    m_openFolderButton = new QPushButton(tr("Open folder"), this);
    m_openFolderButton->setObjectName(QStringLiteral("exportOpenFolder"));
    m_openFolderButton->setAutoDefault(false);
    m_openFolderButton->setToolTip(tr("Show the exported files in the file manager"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_openFolderButton);
    buttons->addStretch(1);
    buttons->addWidget(m_exportButton);
    buttons->addWidget(m_closeButton);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_parity);
    layout->addWidget(m_compression);
    layout->addWidget(m_fileList, 1);
    // Takes the file list's room while it is hidden, so the lines above stay together.
    m_filler = new QSpacerItem(0, 0, QSizePolicy::Minimum, QSizePolicy::Expanding);
    layout->addSpacerItem(m_filler);
    layout->addLayout(buttons);
    resize(600, 440);

    connect(m_format, &QComboBox::currentIndexChanged, this, &ExportDialog::onFormatChanged);
    connect(m_folder, &QLineEdit::textEdited, this, [this] { m_folderEdited = true; });
    connect(m_folder, &QLineEdit::textChanged, this, &ExportDialog::updateButtons);
    connect(m_browseButton, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(m_exportButton, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(m_openFolderButton, &QPushButton::clicked, this, &ExportDialog::openFolder);
    connect(m_closeButton, &QPushButton::clicked, this, [this] {
        if (m_state == State::Running)
            m_job->cancel();
        else
            reject();
    });
}

ExportRequest ExportDialog::request() const
{
    ExportRequest request;
    request.runId = m_runId;
    request.format = m_format->currentText();
    request.checkpoint = m_checkpoint->currentText();
    request.quantizeInt8 = m_int8->isChecked();
    request.prune = m_prune->value();
    request.outDir = m_folder->text().trimmed();
    return request;
}

QString ExportDialog::defaultFolder(const QString &format) const
{
    std::error_code error;
    auto db = std::filesystem::absolute(m_db, error);
    if (error)
        db = m_db;
    const auto name = QString::fromStdString(util::safeFileName(m_runName.toStdString(),
                                                                "run-" + std::to_string(m_runId)))
                      + QLatin1Char('-') + format;
    return QDir::cleanPath(QString::fromStdString((db.parent_path() / "exports").string())
                           + QLatin1Char('/') + name);
}

QString ExportDialog::statusText() const
{
    return m_status->text();
}

QString ExportDialog::parityText() const
{
    return m_state == State::Done ? m_parity->text() : QString();
}

QString ExportDialog::compressionText() const
{
    return m_compression->text();
}

void ExportDialog::browse()
{
    const QString start
        = m_folder->text().isEmpty() ? defaultFolder(m_format->currentText()) : m_folder->text();
    // The default folder usually does not exist yet: start in the closest one that does.
    QString existing = start;
    while (!existing.isEmpty() && !QFileInfo(existing).isDir()) {
        const QString up = QFileInfo(existing).path();
        existing = up == existing ? QString() : up;
    }
    const QString chosen
        = QFileDialog::getExistingDirectory(this, tr("Export into folder"), existing);
    if (chosen.isEmpty())
        return;
    m_folderEdited = true;
    m_folder->setText(QDir::toNativeSeparators(chosen));
}

void ExportDialog::onFormatChanged()
{
    if (!m_folderEdited)
        m_folder->setText(defaultFolder(m_format->currentText()));
}

void ExportDialog::onCheckpoints(qint64 runId, const QStringList &names)
{
    if (runId != m_runId)
        return;
    m_checkpoint->clear();
    m_checkpoint->addItems(names);
    if (names.isEmpty())
        showStatus(tr("Run %1 (%2) has no checkpoint to export yet: train it for at least one "
                      "epoch first.")
                       .arg(m_runId)
                       .arg(m_runName),
                   true);
    else if (m_state == State::Idle)
        showStatus({});
    updateButtons();
    Q_EMIT checkpointsLoaded();
}

void ExportDialog::startExport()
{
    if (m_state == State::Running || m_checkpoint->count() == 0)
        return;
    const ExportRequest options = request();
    if (options.outDir.isEmpty()) {
        showStatus(tr("Choose an output folder."), true);
        return;
    }
    m_files.clear();
    m_exportedFolder.clear();
    m_fileList->clear();
    m_parity->clear();
    m_compression->clear();
    m_progress->setValue(0);
    if (!m_job->start(options))
        return;
    setState(State::Running);
    showStatus(tr("Starting…"));
}

void ExportDialog::reject()
{
    if (m_state == State::Running)
        m_job->cancel();
    QDialog::reject();
}

void ExportDialog::onProgress(const QString &phase, double done)
{
    if (m_state != State::Running)
        return;
    m_progress->setValue(int(std::clamp(done, 0.0, 1.0) * kProgressSteps));
    showStatus(capitalised(phase) + QStringLiteral("…"));
}

void ExportDialog::onFinished(const ExportOutcome &outcome)
{
    m_progress->setValue(kProgressSteps);
    m_files = outcome.files;
    const QLocale locale;
    for (const auto &file : outcome.files) {
        const QFileInfo info(file);
        auto *item = new QListWidgetItem(
            QStringLiteral("%1    %2").arg(info.fileName(), locale.formattedDataSize(info.size())),
            m_fileList);
        item->setToolTip(QDir::toNativeSeparators(file));
    }
    m_parity->setText(parityLine(outcome));
    m_parity->setStyleSheet(!outcome.parityChecked ? QString()
                            : outcome.parityPassed ? kPassedStyle
                                                   : kErrorStyle);
    m_compression->setText(compressionLine(outcome));
    // The form cannot change while an export runs: its folder is the one written.
    const QString written = QFileInfo(m_folder->text().trimmed()).absoluteFilePath();
    m_exportedFolder = QUrl::fromLocalFile(written);
    setState(State::Done);
    showStatus(tr("Exported %n file(s) to %1", nullptr, int(outcome.files.size()))
                   .arg(QDir::toNativeSeparators(written)));
    Q_EMIT exportEnded(true);
    Q_EMIT exported(m_runId, m_runName, written, m_files);
}

void ExportDialog::openFolder()
{
    if (m_exportedFolder.isEmpty())
        return;
    // False where no file manager is available (a bare server): say so rather than nothing.
    if (!QDesktopServices::openUrl(m_exportedFolder))
        showStatus(tr("Cannot open %1: no file manager answered")
                       .arg(QDir::toNativeSeparators(m_exportedFolder.toLocalFile())),
                   true);
}

void ExportDialog::onFailed(const QString &message, bool cancelled)
{
    m_progress->setValue(0);
    setState(State::Failed);
    if (cancelled)
        showStatus(tr("Cancelled: nothing was exported."));
    else
        showStatus(tr("Export failed: %1").arg(message), true);
    Q_EMIT exportEnded(false);
}

void ExportDialog::setState(State state)
{
    m_state = state;
    const bool running = state == State::Running;
    for (QWidget *widget : std::initializer_list<QWidget *>{m_format, m_checkpoint, m_int8, m_prune,
                                                            m_folder, m_browseButton})
        widget->setEnabled(!running);
    m_closeButton->setText(running ? tr("Cancel") : tr("Close"));
    m_parity->setVisible(state == State::Done);
    m_compression->setVisible(state == State::Done && !m_compression->text().isEmpty());
    m_fileList->setVisible(state == State::Done);
    m_openFolderButton->setVisible(state == State::Done && !m_exportedFolder.isEmpty());
    m_filler->changeSize(0, 0, QSizePolicy::Minimum,
                         state == State::Done ? QSizePolicy::Fixed : QSizePolicy::Expanding);
    layout()->invalidate();
    updateButtons();
}

void ExportDialog::showStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? kErrorStyle : QString());
    m_status->setVisible(!text.isEmpty());
}

void ExportDialog::updateButtons()
{
    m_exportButton->setEnabled(m_state != State::Running && m_checkpoint->count() > 0
                               && !m_folder->text().trimmed().isEmpty());
    m_checkpoint->setEnabled(m_state != State::Running && m_checkpoint->count() > 0);
}

} // namespace lathe::panels
