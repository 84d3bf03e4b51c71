// VisualisePanel's views: asking for them with the current settings and showing what comes back.
#include "panels/visualise/visualise_panel.h"

#include "panels/bridge/inspect_session.h"
#include "panels/visualise/inspect_image_view.h"

#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>

namespace lathe::panels {

namespace {

QString modeName(InspectMode mode)
{
    switch (mode) {
    case InspectMode::FeatureMaps: return QObject::tr("feature maps");
    case InspectMode::Saliency: return QObject::tr("saliency");
    case InspectMode::GradCam: return QObject::tr("Grad-CAM");
    case InspectMode::IntegratedGradients: return QObject::tr("integrated gradients");
    case InspectMode::Occlusion: return QObject::tr("occlusion");
    case InspectMode::Attention: return QObject::tr("attention");
    case InspectMode::Adversarial: return QObject::tr("adversarial example");
    }
    return {};
}

} // namespace

InspectOptions VisualisePanel::options() const
{
    InspectOptions o;
    o.mode = mode();
    if (auto *item = m_layers->currentItem()) {
        o.layer = item->data(Qt::UserRole).toString();
        o.attentionLayer = m_layers->currentRow() - 1; // row 0 is the rollout
    }
    o.colormap = InspectColormap(m_colormap->currentData().toInt());
    o.sharedNormalization = m_normalization->currentIndex() == 1;
    if (m_target->currentIndex() > 0)
        o.target = m_target->currentIndex() - 1;
    o.igSteps = m_igSteps->value();
    o.igBaseline = IgBaseline(m_baseline->currentData().toInt());
    o.occlusionWindow = m_occlusionWindow->value();
    o.occlusionStride = std::max(1, o.occlusionWindow / 2);
    o.attentionHead = m_head->currentIndex() - 1;
    o.epsilon = m_epsilon->value();
    return o;
}

void VisualisePanel::scheduleRender()
{
    if (m_info)
        m_renderDelay.start();
}

void VisualisePanel::render()
{
    const auto current = key();
    if (!current || !m_info)
        return;
    const auto o = options();
    const bool needsLayer = o.mode == InspectMode::FeatureMaps || o.mode == InspectMode::GradCam;
    if (needsLayer && o.layer.isEmpty()) {
        showPlaceholder(tr("Pick a layer on the left"));
        return;
    }
    if (m_renderId)
        m_session->cancel(m_renderId);
    if (m_compareRenderId)
        m_session->cancel(m_compareRenderId);
    m_renderId = m_session->render(*current, m_sample, o);
    m_compareRenderId = 0;
    const auto other = compareKey();
    m_compareBox->setVisible(other.has_value());
    if (other) {
        m_compareRenderId = m_session->render(*other, m_sample, o);
        m_compareCaption->setText(tr("run %1 · %2").arg(other->runId).arg(other->checkpoint));
    }
    setStatus(tr("Computing %1…").arg(modeName(o.mode)));
    updateBusy();
}

void VisualisePanel::showResult(InspectImageView *view, const InspectRender &result)
{
    if (result.mode == InspectMode::FeatureMaps || result.mode == InspectMode::Adversarial)
        view->setGrid(result.image, result.channels, result.columns, result.tileWidth,
                      result.tileHeight, result.padding);
    else
        view->setOverlay(result.input, result.image);
}

void VisualisePanel::onRendered(quint64 id, const InspectRender &result)
{
    if (id == m_compareRenderId) {
        m_compareRenderId = 0;
        showResult(m_compareView, result);
        updateBusy();
        return;
    }
    if (id != m_renderId)
        return;
    m_renderId = 0;
    m_lastRender = result;
    showResult(m_view, result);
    const auto current = key();
    m_viewCaption->setText(current ? tr("run %1 · %2").arg(current->runId).arg(current->checkpoint)
                                   : QString());
    const auto range = tr("values %1 … %2").arg(result.low, 0, 'g', 3).arg(result.high, 0, 'g', 3);
    if (result.mode == InspectMode::FeatureMaps) {
        setStatus(tr("%1 channels of %2 · %3 · click a tile to zoom into its channel")
                      .arg(result.channels)
                      .arg(options().layer, range));
    } else if (result.mode == InspectMode::Attention) {
        setStatus(tr("Attention from the class token · %1").arg(range));
    } else if (result.mode == InspectMode::Adversarial) {
        const auto &names = m_info->classNames;
        setStatus(tr("Clean · adversarial (PGD-%1, epsilon %2) · perturbation %3 · the model now "
                     "says “%4” (%5 %)")
                      .arg(options().attackSteps)
                      .arg(options().epsilon)
                      .arg(range, result.target >= 0 && result.target < names.size()
                                      ? names[result.target]
                                      : QString::number(result.target))
                      .arg(result.score * 100.0, 0, 'f', 1));
    } else {
        const auto &names = m_info->classNames;
        const QString target = result.target >= 0 && result.target < names.size()
                                   ? names[result.target]
                                   : QString::number(result.target);
        const QString flat = result.high > result.low
                                 ? QString()
                                 : tr(" · the map is flat (no evidence for this class here): "
                                      "try another layer or class");
        setStatus(tr("%1 of class “%2” (logit %3) · %4%5")
                      .arg(modeName(result.mode), target)
                      .arg(result.score, 0, 'f', 3)
                      .arg(range, flat));
    }
    if (result.completenessError)
        m_completeness->setText(tr("%1 % (sum %2, Δscore %3)")
                                    .arg(*result.completenessError * 100.0, 0, 'f', 2)
                                    .arg(result.attributionSum, 0, 'f', 3)
                                    .arg(result.scoreDelta, 0, 'f', 3));
    updateBusy();
    Q_EMIT viewUpdated();
}

void VisualisePanel::onFailed(quint64 id, const QString &message)
{
    if (id == m_compareRenderId) {
        m_compareRenderId = 0;
        m_compareView->setPlaceholder(message);
    } else if (id == m_renderId) {
        m_renderId = 0;
        m_lastRender.reset();
        m_view->setPlaceholder(message);
        setStatus(message);
        Q_EMIT viewUpdated();
    } else if (id == m_describeId || id == m_listId) {
        m_describeId = m_listId = 0;
        showPlaceholder(message);
        setStatus(message);
    } else if (id == m_sampleId) {
        m_sampleId = 0;
        m_sampleText->setText(message);
    }
    updateBusy();
}

void VisualisePanel::onCancelled(quint64 id)
{
    if (id == m_compareRenderId) {
        m_compareRenderId = 0;
        m_compareView->setPlaceholder(tr("Cancelled"));
    } else if (id == m_renderId) {
        m_renderId = 0;
        m_lastRender.reset();
        m_view->setPlaceholder(tr("Cancelled: change a setting to compute the view again"));
        setStatus(tr("Cancelled"));
        Q_EMIT viewUpdated();
    }
    updateBusy();
}

void VisualisePanel::cancel()
{
    for (auto id : {m_renderId, m_compareRenderId}) {
        if (id)
            m_session->cancel(id);
    }
}

bool VisualisePanel::isBusy() const
{
    return m_renderId || m_compareRenderId || m_describeId || m_listId || m_sampleId;
}

void VisualisePanel::updateBusy()
{
    const bool busy = isBusy();
    m_busy->setVisible(busy);
    m_cancel->setEnabled(m_renderId || m_compareRenderId);
    if (busy != m_wasBusy) {
        m_wasBusy = busy;
        Q_EMIT busyChanged(busy);
    }
}

} // namespace lathe::panels
