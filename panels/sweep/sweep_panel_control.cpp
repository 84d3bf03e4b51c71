// The Sweep panel's Start, Stop and Resume: a sweep run by lathe-cli as this window's child
// process (SweepLauncher), or stopped through the store when another process runs it.
#include "panels/sweep/sweep_panel.h"

#include "core/util/paths.h"
#include "panels/bridge/store_client.h"
#include "panels/sweep/sweep_launcher.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QPushButton>

namespace lathe::panels {

void SweepPanel::connectControls()
{
    connect(m_start, &QPushButton::clicked, this, &SweepPanel::chooseAndStartSweep);
    connect(m_stop, &QPushButton::clicked, this, &SweepPanel::stopSweep);
    connect(m_resume, &QPushButton::clicked, this, &SweepPanel::resumeSweep);
    connect(m_launcher, &SweepLauncher::sweepNamed, this, [this](qint64 id) {
        m_showWhenListed = id;
        refresh();
    });
    connect(m_launcher, &SweepLauncher::failed, this, &SweepPanel::showError);
    connect(m_launcher, &SweepLauncher::runningChanged, this, [this] {
        updateControls();
        refresh();
    });
    updateControls();
}

void SweepPanel::setCliPath(const QString &path)
{
    m_launcher->setCliPath(path);
}

void SweepPanel::chooseAndStartSweep()
{
    const QFileInfo bundled(QString::fromStdString((util::resourceDir() / "sweeps").string()));
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Start sweep"), bundled.isDir() ? bundled.filePath() : QString(),
        tr("Sweep specs (*.json);;All files (*)"));
    if (!path.isEmpty())
        startSweep(path);
}

void SweepPanel::startSweep(const QString &specPath)
{
    if (m_launcher->isRunning()) {
        showError(tr("A sweep this window started still runs; stop it or wait for it first"));
        return;
    }
    showError({});
    m_launcher->start(
        {"sweep", specPath, "--db", QString::fromStdString(m_store->path().string())});
}

void SweepPanel::resumeSweep()
{
    const qint64 id = sweepId();
    if (id == 0 || m_launcher->isRunning())
        return;
    showError({});
    m_launcher->start({"sweep", "resume", QString::number(id), "--db",
                       QString::fromStdString(m_store->path().string())},
                      id);
}

void SweepPanel::stopSweep()
{
    const qint64 id = sweepId();
    if (id == 0)
        return;
    m_stopAsked = id;
    showError({});
    updateControls();
    if (m_launcher->sweepId() == id) {
        m_launcher->interrupt();
        return;
    }
    // Another process runs it: its workers read the status between trials and while training.
    m_store->setSweepStatus(this, id, track::SweepStatus::Stopped, [this, id](Result<void> done) {
        if (!done) {
            m_stopAsked = 0;
            showError(tr("Cannot stop sweep %1: %2")
                          .arg(id)
                          .arg(QString::fromStdString(done.error().message)));
            updateControls();
        }
        refresh();
    });
}

void SweepPanel::updateControls()
{
    const bool launched = m_launcher->isRunning();
    const qint64 shown = m_snapshot.info.id == sweepId() ? m_snapshot.info.id : 0;
    const auto status = m_snapshot.info.status;
    if (m_stopAsked != 0 && (shown != m_stopAsked || status != track::SweepStatus::Running))
        m_stopAsked = 0;
    m_start->setEnabled(!launched);
    m_stop->setEnabled(shown != 0 && status == track::SweepStatus::Running && m_stopAsked == 0);
    m_resume->setEnabled(shown != 0 && status == track::SweepStatus::Stopped && !launched);
}

void SweepPanel::showError(const QString &text)
{
    m_error->setText(text);
    m_error->setToolTip(text);
    m_error->setVisible(!text.isEmpty());
}

} // namespace lathe::panels
