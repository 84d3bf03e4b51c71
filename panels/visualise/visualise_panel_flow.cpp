// VisualisePanel's requests to the InspectSession and the results coming back.
#include "panels/visualise/visualise_panel.h"

#include "panels/bridge/inspect_session.h"
#include "panels/visualise/inspect_image_view.h"

#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStandardItemModel>

#include <algorithm>

namespace lathe::panels {

namespace {

constexpr int kRunRole = Qt::UserRole;
constexpr int kCheckpointRole = Qt::UserRole + 1;

QString shapeListText(const QList<qint64> &shape)
{
    QStringList parts;
    for (auto d : shape)
        parts.append(QString::number(d));
    return parts.join(QStringLiteral("×"));
}

QString checkpointText(const InspectCheckpoint &c)
{
    return QObject::tr("%1 (epoch %2)").arg(c.name).arg(c.epoch);
}

} // namespace

void VisualisePanel::connectSession()
{
    connect(m_session, &InspectSession::checkpointsListed, this,
            &VisualisePanel::onCheckpointsListed);
    connect(m_session, &InspectSession::described, this, &VisualisePanel::onDescribed);
    connect(m_session, &InspectSession::sampleReady, this, &VisualisePanel::onSampleReady);
    connect(m_session, &InspectSession::rendered, this, &VisualisePanel::onRendered);
    connect(m_session, &InspectSession::failed, this, &VisualisePanel::onFailed);
    connect(m_session, &InspectSession::cancelled, this, &VisualisePanel::onCancelled);
}

void VisualisePanel::setSelection(const RunSelection &selection)
{
    // Compared with what the window said last: a test sample opened from the Errors panel may
    // have moved this panel to another run since.
    if (selection.inspected != m_inspected) {
        m_inspected = selection.inspected;
        setRun(m_inspected);
    }
    // An empty selection keeps the compare run: the inspected run stays too.
    if (!selection.selected.isEmpty())
        setCompareRun(selection.compared());
}

void VisualisePanel::setRun(qint64 runId)
{
    if (runId == m_runId && runId != 0)
        return;
    m_session->cancelAll();
    m_runId = runId;
    m_info.reset();
    m_lastRender.reset();
    m_checkpoints.clear();
    m_renderId = m_compareRenderId = m_describeId = m_sampleId = 0;
    {
        const QSignalBlocker block(m_checkpoint);
        m_checkpoint->clear();
    }
    m_runLabel->setText(runId ? tr("Run %1").arg(runId) : tr("No run"));
    m_sampleText->clear();
    m_thumbnail->clear();
    fillCompare();
    if (runId == 0) {
        showPlaceholder(tr("Select a run in the Runs panel to look inside its model"));
        updateBusy();
        return;
    }
    showPlaceholder(tr("Loading the checkpoints of run %1…").arg(runId));
    m_listId = m_session->listCheckpoints(runId);
    updateBusy();
}

void VisualisePanel::setCompareRun(qint64 runId)
{
    if (runId == m_compareRunId)
        return;
    m_compareRunId = runId;
    m_compareCheckpoints.clear();
    fillCompare();
    if (runId != 0)
        m_compareListId = m_session->listCheckpoints(runId);
}

void VisualisePanel::showTestSample(qint64 runId, const QString &checkpoint, qint64 index)
{
    m_sample = InspectSample{index, nullptr, -1};
    if (mode() == InspectMode::FeatureMaps || mode() == InspectMode::Attention)
        m_wantedMode = InspectMode::Saliency;
    if (runId != m_runId) {
        m_wantedCheckpoint = checkpoint;
        setRun(runId);
        return;
    }
    const int row = m_checkpoint->findData(checkpoint, kCheckpointRole);
    if (row >= 0 && row != m_checkpoint->currentIndex()) {
        m_checkpoint->setCurrentIndex(row); // describes it, then applies the wanted mode
        return;
    }
    if (m_wantedMode && m_info)
        setMode(*std::exchange(m_wantedMode, std::nullopt));
    {
        const QSignalBlocker block(m_sampleSpin);
        m_sampleSpin->setValue(int(index));
    }
    requestSample();
    scheduleRender();
}

void VisualisePanel::showDatasetSample(std::shared_ptr<const data::Dataset> dataset, qint64 index)
{
    if (!dataset)
        return;
    m_sample = InspectSample{0, std::move(dataset), index};
    requestSample();
    scheduleRender();
}

void VisualisePanel::onCheckpointsListed(quint64 id, qint64, const QList<InspectCheckpoint> &list)
{
    if (id == m_compareListId) {
        m_compareCheckpoints = list;
        fillCompare();
        return;
    }
    if (id != m_listId)
        return;
    m_listId = 0;
    m_checkpoints = list;
    {
        const QSignalBlocker block(m_checkpoint);
        for (const auto &c : list) {
            m_checkpoint->addItem(checkpointText(c), m_runId);
            m_checkpoint->setItemData(m_checkpoint->count() - 1, c.name, kCheckpointRole);
        }
        const int wanted = m_checkpoint->findData(
            m_wantedCheckpoint.isEmpty() ? QStringLiteral("best") : m_wantedCheckpoint,
            kCheckpointRole);
        m_checkpoint->setCurrentIndex(std::max(wanted, 0));
    }
    m_wantedCheckpoint.clear();
    fillCompare();
    if (list.isEmpty()) {
        showPlaceholder(
            tr("Run %1 has no checkpoint yet: one is written after each epoch").arg(m_runId));
        updateBusy();
        return;
    }
    onCheckpointChanged();
}

void VisualisePanel::fillCompare()
{
    const auto runId = m_compare->currentData(kRunRole).toLongLong();
    const auto name = m_compare->currentData(kCheckpointRole).toString();
    const QSignalBlocker block(m_compare);
    m_compare->clear();
    m_compare->addItem(tr("Nothing"), 0);
    auto add = [this](qint64 run, const InspectCheckpoint &c, const QString &text) {
        m_compare->addItem(text, run);
        m_compare->setItemData(m_compare->count() - 1, c.name, kCheckpointRole);
    };
    for (const auto &c : m_checkpoints)
        add(m_runId, c, checkpointText(c));
    if (m_compareRunId != m_runId) {
        for (const auto &c : m_compareCheckpoints)
            add(m_compareRunId, c, tr("run %1 · %2").arg(m_compareRunId).arg(checkpointText(c)));
    }
    for (int i = 1; i < m_compare->count(); ++i) {
        if (m_compare->itemData(i, kRunRole).toLongLong() == runId
            && m_compare->itemData(i, kCheckpointRole).toString() == name)
            m_compare->setCurrentIndex(i);
    }
}

std::optional<InspectKey> VisualisePanel::key() const
{
    if (m_runId == 0 || m_checkpoint->currentIndex() < 0)
        return std::nullopt;
    return InspectKey{m_runId, m_checkpoint->currentData(kCheckpointRole).toString()};
}

std::optional<InspectKey> VisualisePanel::compareKey() const
{
    const auto run = m_compare->currentData(kRunRole).toLongLong();
    if (run == 0)
        return std::nullopt;
    return InspectKey{run, m_compare->currentData(kCheckpointRole).toString()};
}

void VisualisePanel::onCheckpointChanged()
{
    const auto current = key();
    if (!current)
        return;
    showPlaceholder(tr("Loading %1 of run %2…").arg(current->checkpoint).arg(current->runId));
    m_describeId = m_session->describe(*current);
    updateBusy();
}

void VisualisePanel::onDescribed(quint64 id, const InspectModelInfo &info)
{
    if (id != m_describeId)
        return;
    m_describeId = 0;
    m_info = info;
    m_runLabel->setText(tr("Run %1 · %2 (%3)").arg(info.key.runId).arg(info.runName, info.arch));
    {
        const QSignalBlocker block(m_sampleSpin);
        m_sampleSpin->setRange(0, int(std::max<qint64>(info.testSize - 1, 0)));
        if (m_sample.isTest())
            m_sampleSpin->setValue(int(m_sample.testIndex));
    }
    {
        const QSignalBlocker block(m_target);
        const int target = m_target->currentIndex();
        m_target->clear();
        m_target->addItem(tr("Predicted class"));
        m_target->addItems(info.classNames);
        m_target->setCurrentIndex(target < m_target->count() ? std::max(target, 0) : 0);
    }
    {
        const QSignalBlocker block(m_head);
        m_head->clear();
        m_head->addItem(tr("Mean of the heads"));
        for (int h = 0; h < info.attentionHeads; ++h)
            m_head->addItem(tr("Head %1").arg(h));
    }
    auto *modes = qobject_cast<QStandardItemModel *>(m_mode->model());
    auto *attention = modes->item(m_mode->findData(int(InspectMode::Attention)));
    attention->setEnabled(info.attentionLayers > 0);
    attention->setToolTip(info.attentionLayers > 0
                              ? tr("The class token's attention, per layer and head or rolled out")
                              : tr("%1 has no attention layers: only vision transformers "
                                   "(vit-tiny) do")
                                    .arg(info.arch));
    const bool spatial = std::any_of(info.layers.begin(), info.layers.end(),
                                     [](const InspectLayer &l) { return l.spatial; });
    auto *gradCam = modes->item(m_mode->findData(int(InspectMode::GradCam)));
    gradCam->setEnabled(spatial);
    gradCam->setToolTip(spatial ? tr("Grad-CAM for any spatial (convolutional) layer")
                                : tr("%1 has no spatial layer for Grad-CAM").arg(info.arch));
    if ((mode() == InspectMode::Attention && info.attentionLayers == 0)
        || (mode() == InspectMode::GradCam && !spatial))
        setMode(InspectMode::FeatureMaps);
    if (m_wantedMode)
        setMode(*std::exchange(m_wantedMode, std::nullopt));
    updateOptionPages();
    fillLayers();
    requestSample();
    scheduleRender();
    updateBusy();
}

void VisualisePanel::onModeChanged()
{
    updateOptionPages();
    fillLayers();
    scheduleRender();
}

void VisualisePanel::fillLayers()
{
    const QSignalBlocker block(m_layers);
    const auto current = mode();
    // Grad-CAM starts from its default layer, the other views from their own choice.
    const bool keep = m_layersMode == current
                      || (m_layersMode != InspectMode::GradCam && current != InspectMode::GradCam);
    const auto previous = m_layers->currentItem() && keep
                              ? m_layers->currentItem()->data(Qt::UserRole)
                              : QVariant();
    m_layersMode = current;
    m_layers->clear();
    const bool usesLayer = current == InspectMode::FeatureMaps || current == InspectMode::GradCam
                           || current == InspectMode::Attention;
    m_layers->setEnabled(usesLayer);
    m_layers->setToolTip(usesLayer ? QString() : tr("This view explains the whole network"));
    if (!m_info)
        return;
    if (current == InspectMode::Attention) {
        m_layers->addItem(tr("Rollout (all layers)"));
        for (int l = 0; l < m_info->attentionLayers; ++l)
            m_layers->addItem(tr("Attention layer %1").arg(l));
        m_layers->setCurrentRow(0);
        return;
    }
    int fallback = -1;
    for (const auto &layer : m_info->layers) {
        auto *item = new QListWidgetItem(
            QString("%1   [%2]").arg(layer.name, shapeListText(layer.shape)), m_layers);
        item->setData(Qt::UserRole, layer.name);
        if (current == InspectMode::GradCam && !layer.spatial) {
            item->setFlags(item->flags() & ~Qt::ItemIsEnabled);
            item->setToolTip(tr("Grad-CAM needs a spatial [C,H,W] layer"));
        }
        // The first spatial layer for maps; Grad-CAM's own default (the last top-level spatial
        // layer larger than 1x1).
        if (current == InspectMode::GradCam ? layer.name == m_info->gradCamLayer
                                            : layer.spatial && fallback < 0)
            fallback = m_layers->count() - 1;
        if (item->data(Qt::UserRole) == previous && (item->flags() & Qt::ItemIsEnabled))
            m_layers->setCurrentItem(item);
    }
    if (!m_layers->currentItem())
        m_layers->setCurrentRow(std::max(fallback, 0));
}

void VisualisePanel::requestSample()
{
    if (const auto current = key(); current && m_info)
        m_sampleId = m_session->inspectSample(*current, m_sample);
    updateBusy();
}

void VisualisePanel::onSampleReady(quint64 id, const InspectSampleInfo &info)
{
    if (id != m_sampleId || !m_info)
        return;
    m_sampleId = 0;
    m_thumbnail->setPixmap(QPixmap::fromImage(info.image));
    auto name = [this](qint64 c) {
        return c >= 0 && c < m_info->classNames.size() ? m_info->classNames[c] : tr("?");
    };
    const QString where
        = m_sample.isTest() ? QString()
                            : tr("dataset sample #%1 (train split) · ").arg(m_sample.datasetIndex);
    const QString colour = info.label == info.predicted ? "#2e7d32" : "#c62828";
    m_sampleText->setText(tr("%1true <b>%2</b> · predicted <b style='color:%3'>%4</b> (%5%)")
                              .arg(where, name(info.label), colour, name(info.predicted))
                              .arg(info.confidence * 100.0, 0, 'f', 1));
    updateBusy();
}

void VisualisePanel::showPlaceholder(const QString &text)
{
    m_view->setPlaceholder(text);
    m_viewCaption->clear();
    m_compareBox->setVisible(false);
}

} // namespace lathe::panels
