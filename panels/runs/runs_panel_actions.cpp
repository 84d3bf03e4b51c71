#include "panels/runs/runs_panel.h"

#include "core/track/run_store.h"
#include "core/train/stored_run.h"
#include "panels/bridge/export_job.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "panels/common/fine_tune_name.h"
#include "panels/runs/export_dialog.h"

#include <QLabel>

#include <algorithm>

// The Runs panel's actions on one run that reach beyond the table: export, fine-tune, lineage.
namespace lathe::panels {

ExportDialog *RunsPanel::exportCurrent()
{
    const auto ids = selectedRunIds();
    const qint64 id = ids.size() == 1 ? ids.front() : currentRunId();
    const int row = m_model->rowOf(id);
    if (row < 0)
        return nullptr;
    auto *dialog = new ExportDialog(m_store->path(), id, m_model->runRow(row).name, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ExportDialog::exported, this, &RunsPanel::exportWritten);
    dialog->show();
    return dialog;
}

void RunsPanel::fineTuneFromCurrent()
{
    const qint64 id = currentRunId();
    if (id == 0)
        return;
    m_store->query(
        this,
        [id, db = m_store->path()](track::RunStore &store) -> Result<train::RunConfig> {
            auto run = store.run(id);
            if (!run)
                return std::unexpected(run.error());
            // Which checkpoint is the trainer's to choose (best, else last, checked against its
            // SHA-256 then); here only that one is recorded, without hashing the files.
            auto checkpoints = train::listCheckpoints(store, db, id);
            if (!checkpoints)
                return std::unexpected(checkpoints.error());
            if (std::ranges::none_of(*checkpoints, [](const auto &c) { return !c.missing; }))
                return fail(ErrorCode::NotFound,
                            train::runLabel(*run)
                                + " has no checkpoint yet: train it for at least one epoch");
            auto config = train::storedConfig(*run);
            if (!config)
                return config;
            // A fresh fine-tune section: the parent's own (its source, freezing, LoRA) was
            // about how the parent was made, not how to go on from it.
            config->finetune = train::FineTuneConfig{};
            config->finetune.run = std::to_string(id);
            config->name = run->name + std::string(kFineTuneNameSuffix);
            return config;
        },
        [this](Result<train::RunConfig> config) {
            if (!config) {
                showMessage(tr("Cannot fine-tune from this run: %1")
                                .arg(QString::fromStdString(config.error().message)));
                return;
            }
            showMessage({});
            Q_EMIT newRunFromConfig(*config);
        });
}

QString RunsPanel::lineageText() const
{
    return m_lineage->text();
}

void RunsPanel::updateLineage()
{
    const int row = m_model->rowOf(currentRunId());
    const QString text = row >= 0 ? m_model->lineage(m_model->runRow(row)) : QString();
    if (text.isEmpty()) {
        m_lineage->clear();
        m_lineage->hide();
        return;
    }
    QString shown = text;
    shown[0] = shown[0].toUpper();
    m_lineage->setText(shown);
    m_lineage->show();
}

} // namespace lathe::panels
