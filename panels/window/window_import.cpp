// The window's "Import runs…" (File menu): runs of other trackers into the window's store.
#include "panels/bridge/run_list_model.h"
#include "panels/runs/runs_panel.h"
#include "panels/window/import_runs_dialog.h"
#include "panels/window/main_window.h"

#include <QStatusBar>

namespace lathe::panels {

void MainWindow::importRuns()
{
    if (auto *open = findChild<ImportRunsDialog *>("importRunsDialog")) {
        open->raise();
        open->activateWindow();
        return;
    }
    auto *dialog = new ImportRunsDialog(m_options.db, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ImportRunsDialog::imported, this, [this](const QList<qint64> &runIds) {
        m_runs->model()->refresh(); // the new runs now, not at the next poll
        statusBar()->showMessage(
            tr("%n run(s) imported or found imported before", nullptr, int(runIds.size())), 5000);
    });
    dialog->open();
}

} // namespace lathe::panels
