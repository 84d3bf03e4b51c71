// Saving the charts as a PNG and their samples as CSV (see CurvesPanel).
#include "panels/curves/curves_panel.h"

#include "panels/curves/curves_csv.h"

#include <QFileDialog>
#include <QFutureWatcher>
#include <QLabel>
#include <QPushButton>
#include <QSaveFile>
#include <QtConcurrent/QtConcurrentRun>

namespace lathe::panels {

bool CurvesPanel::exportPng(const QString &path)
{
    // Through a QSaveFile: a full disk leaves the old file (or none), not half a PNG.
    QSaveFile file(path);
    const bool saved = file.open(QIODevice::WriteOnly) && m_chartHost->grab().save(&file, "PNG")
                       && file.commit();
    m_status->setText(saved ? tr("Saved the charts to %1.").arg(path)
                            : tr("Cannot write %1.").arg(path));
    return saved;
}

void CurvesPanel::exportCsv(const QString &path)
{
    m_exportCsv->setEnabled(false);
    m_status->setText(tr("Exporting CSV to %1…").arg(path));
    auto *watcher = new QFutureWatcher<Result<std::size_t>>(this);
    connect(watcher, &QFutureWatcher<Result<std::size_t>>::finished, this, [this, watcher, path] {
        const Result<std::size_t> written = watcher->result();
        watcher->deleteLater();
        m_exportCsv->setEnabled(true);
        if (written) {
            m_status->setText(tr("Saved %1 samples to %2.").arg(*written).arg(path));
            Q_EMIT csvExported(qint64(*written), QString());
        } else {
            const QString error = QString::fromStdString(written.error().toString());
            m_status->setText(tr("CSV export failed: %1").arg(error));
            Q_EMIT csvExported(-1, error);
        }
    });
    watcher->setFuture(QtConcurrent::run(writeCurvesCsv, path, m_curves.snapshot()));
}

void CurvesPanel::askExportPng()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export the charts"), QStringLiteral("curves.png"), tr("PNG images (*.png)"));
    if (!path.isEmpty())
        exportPng(path);
}

void CurvesPanel::askExportCsv()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export the curve data"), QStringLiteral("curves.csv"), tr("CSV files (*.csv)"));
    if (!path.isEmpty())
        exportCsv(path);
}

} // namespace lathe::panels
