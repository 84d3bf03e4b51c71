// The window's data-parallel runs (issue 18): "Workers" above 1 in the form makes Start train the
// run in a `lathe-cli train --nproc N` child process (DataParallelRun), which the window follows
// through the store like a run started in a terminal; the status bar shows the workers' step
// times (DataParallelStatus, read when the Curves panel's poll has been taken in).
#include "panels/window/main_window.h"

#include "panels/curves/curves_panel.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/window/data_parallel_run.h"
#include "panels/window/data_parallel_status.h"

#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QStatusBar>

namespace lathe::panels {

bool MainWindow::runActive() const
{
    return m_session->isActive() || m_dataParallel->isActive();
}

QString MainWindow::dataParallelText() const
{
    return m_dataParallelStatus->text();
}

void MainWindow::connectDataParallel()
{
    m_dataParallelStatus = new DataParallelStatus(*m_store, this);
    connect(m_curves, &CurvesPanel::updated, m_dataParallelStatus, &DataParallelStatus::poll);
    connect(m_dataParallelStatus, &DataParallelStatus::changed, this,
            [this](const QString &text, const QString &tip) {
                m_dataParallelLabel->setText(text);
                m_dataParallelLabel->setToolTip(tip);
                m_dataParallelLabel->setVisible(!text.isEmpty());
            });
    connect(m_dataParallel, &DataParallelRun::stateChanged, this,
            [this](DataParallelRun::State state) {
                updateActions();
                const int workers = m_dataParallel->workers();
                if (state == DataParallelRun::State::Starting)
                    m_stateLabel->setText(
                        tr("Starting %1 workers (lathe-cli --nproc %1): loading data and "
                           "connecting…")
                            .arg(workers));
                else if (state == DataParallelRun::State::Running)
                    m_stateLabel->setText(tr("Training run %1 on %2 workers (lathe-cli)")
                                              .arg(m_dataParallel->runId())
                                              .arg(workers));
                else if (state == DataParallelRun::State::Paused)
                    m_stateLabel->setText(tr("Pausing run %1: every worker waits after the same "
                                             "step; Resume or Stop")
                                              .arg(m_dataParallel->runId()));
                else if (state == DataParallelRun::State::Stopping)
                    m_stateLabel->setText(tr("Stopping: every worker finishes its step and the "
                                             "run is checkpointed…"));
            });
    connect(m_dataParallel, &DataParallelRun::runCreated, this, [this](qint64 runId) {
        RunSelection selection = m_selection;
        selection.active = selection.watched = runId; // followed live through the store
        setSelection(selection);
    });
    connect(m_dataParallel, &DataParallelRun::finished, this, [this](const QString &outcome) {
        if (outcome != QLatin1String("failed"))
            m_stateLabel->setText(tr("Run %1 %2 (%3 workers)")
                                      .arg(m_dataParallel->runId())
                                      .arg(outcome)
                                      .arg(m_dataParallel->workers()));
        m_curves->refresh();
    });
    connect(m_dataParallel, &DataParallelRun::failed, this,
            [this](const QString &message, bool beforeRun) {
                m_stateLabel->setText(beforeRun ? tr("The data-parallel run could not start")
                                                : tr("Run %1 failed").arg(m_dataParallel->runId()));
                auto *box = new QMessageBox(QMessageBox::Warning, tr("Training failed"), message,
                                            QMessageBox::Ok, this);
                box->setObjectName("dataParallelFailure");
                box->setAttribute(Qt::WA_DeleteOnClose);
                box->open();
            });
}

void MainWindow::startDataParallel()
{
    const auto config = m_hyperparams->config();
    m_lastProgress.reset();
    m_stepLabel->clear();
    m_progressBar->setVisible(false);
    m_dataParallel->start(config.name, config.toJson().dump(2) + "\n", m_hyperparams->workers());
}

bool MainWindow::confirmDataParallelClose()
{
    if (!m_dataParallel->isActive())
        return true;
    const auto answer = QMessageBox::question(
        this, tr("A run is training"),
        tr("Stop the data-parallel run and quit? It is checkpointed and can be resumed later."));
    if (answer != QMessageBox::Yes)
        return false;
    m_dataParallel->stop(); // the launcher waits for lathe-cli when the window goes
    return true;
}

} // namespace lathe::panels
