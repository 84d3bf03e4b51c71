#include "panels/visualise/visualise_panel.h"

#include "panels/bridge/inspect_session.h"
#include "panels/bridge/store_client.h"
#include "panels/visualise/inspect_image_view.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QVBoxLayout>

namespace lathe::panels {

VisualisePanel::VisualisePanel(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_session(new InspectSession(store, this))
{
    m_renderDelay.setSingleShot(true);
    m_renderDelay.setInterval(30);
    connect(&m_renderDelay, &QTimer::timeout, this, &VisualisePanel::render);
    buildUi();
    connectSession();
    setRun(0);
}

VisualisePanel::~VisualisePanel() = default;

void VisualisePanel::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildHeader());
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(buildControls());
    splitter->addWidget(buildViews());
    m_view->setObjectName(QStringLiteral("visualise-view"));
    m_compareView->setObjectName(QStringLiteral("visualise-compare-view"));
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    layout->addWidget(splitter, 1);
    auto *footer = new QHBoxLayout;
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("visualise-status"));
    m_status->setWordWrap(true);
    m_busy = new QProgressBar(this);
    m_busy->setRange(0, 0);
    m_busy->setMaximumWidth(160);
    m_busy->setVisible(false);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("visualise-cancel"));
    m_cancel->setEnabled(false);
    m_cancel->setToolTip(tr("Stop the computation in progress"));
    connect(m_cancel, &QPushButton::clicked, this, &VisualisePanel::cancel);
    footer->addWidget(m_status, 1);
    footer->addWidget(m_busy);
    footer->addWidget(m_cancel);
    layout->addLayout(footer);
}

QWidget *VisualisePanel::buildHeader()
{
    auto *box = new QWidget(this);
    auto *column = new QVBoxLayout(box);
    column->setContentsMargins(0, 0, 0, 0);
    auto *row = new QHBoxLayout;
    m_runLabel = new QLabel(box);
    m_checkpoint = new QComboBox(box);
    m_checkpoint->setObjectName("visualise-checkpoint");
    m_checkpoint->setToolTip(tr("The checkpoint whose model is inspected"));
    m_checkpoint->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_compare = new QComboBox(box);
    m_compare->setObjectName("visualise-compare");
    m_compare->setToolTip(tr("A second checkpoint (of this run, or of the second run selected "
                             "in the Runs panel) shown side by side with the same settings"));
    m_compare->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_sampleSpin = new QSpinBox(box);
    m_sampleSpin->setObjectName("visualise-sample");
    m_sampleSpin->setToolTip(tr("Test-set index of the sample"));
    m_sampleSpin->setRange(0, 0);
    m_thumbnail = new QLabel(box);
    m_thumbnail->setFixedSize(48, 48);
    m_thumbnail->setScaledContents(true);
    m_sampleText = new QLabel(box);
    m_sampleText->setObjectName(QStringLiteral("visualise-sample-text"));
    m_sampleText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_sampleText->setWordWrap(true);
    // Two rows, so the panel fits a narrow dock: what is inspected, then which sample.
    row->addWidget(m_runLabel);
    row->addWidget(new QLabel(tr("Checkpoint:"), box));
    row->addWidget(m_checkpoint);
    row->addWidget(new QLabel(tr("Compare with:"), box));
    row->addWidget(m_compare);
    row->addStretch(1);
    auto *sampleRow = new QHBoxLayout;
    sampleRow->addWidget(new QLabel(tr("Test sample:"), box));
    sampleRow->addWidget(m_sampleSpin);
    sampleRow->addWidget(m_thumbnail);
    sampleRow->addWidget(m_sampleText, 1);
    column->addLayout(row);
    column->addLayout(sampleRow);
    connect(m_checkpoint, &QComboBox::currentIndexChanged, this,
            &VisualisePanel::onCheckpointChanged);
    connect(m_compare, &QComboBox::currentIndexChanged, this, &VisualisePanel::scheduleRender);
    connect(m_sampleSpin, &QSpinBox::valueChanged, this, [this](int value) {
        m_sample = InspectSample{value, nullptr, -1};
        requestSample();
        scheduleRender();
    });
    return box;
}

QWidget *VisualisePanel::buildControls()
{
    auto *box = new QWidget(this);
    auto *column = new QVBoxLayout(box);
    column->setContentsMargins(0, 0, 0, 0);
    m_mode = new QComboBox(box);
    m_mode->setObjectName("visualise-mode");
    m_mode->addItem(tr("Feature maps"), int(InspectMode::FeatureMaps));
    m_mode->addItem(tr("Saliency"), int(InspectMode::Saliency));
    m_mode->addItem(tr("Grad-CAM"), int(InspectMode::GradCam));
    m_mode->addItem(tr("Integrated gradients"), int(InspectMode::IntegratedGradients));
    m_mode->addItem(tr("Occlusion"), int(InspectMode::Occlusion));
    m_mode->addItem(tr("Attention"), int(InspectMode::Attention));
    m_mode->addItem(tr("Adversarial example (PGD)"), int(InspectMode::Adversarial));
    m_layers = new QListWidget(box);
    m_layers->setObjectName("visualise-layers");
    m_layers->setMinimumWidth(200);
    column->addWidget(new QLabel(tr("View:"), box));
    column->addWidget(m_mode);
    column->addWidget(new QLabel(tr("Layer:"), box));
    column->addWidget(m_layers, 1);
    column->addWidget(buildOptions());
    connect(m_mode, &QComboBox::currentIndexChanged, this, &VisualisePanel::onModeChanged);
    connect(m_layers, &QListWidget::currentRowChanged, this, &VisualisePanel::scheduleRender);
    return box;
}

QWidget *VisualisePanel::buildOptions()
{
    auto *box = new QWidget(this);
    m_optionsForm = new QFormLayout(box);
    m_optionsForm->setContentsMargins(0, 0, 0, 0);
    m_colormap = new QComboBox(box);
    m_colormap->setObjectName(QStringLiteral("visualise-colormap"));
    m_colormap->addItem(tr("Viridis"), int(InspectColormap::Viridis));
    m_colormap->addItem(tr("Magma"), int(InspectColormap::Magma));
    m_colormap->addItem(tr("Grey"), int(InspectColormap::Gray));
    m_colormap->addItem(tr("Diverging"), int(InspectColormap::Diverging));
    m_normalization = new QComboBox(box);
    m_normalization->setObjectName(QStringLiteral("visualise-normalization"));
    m_normalization->addItem(tr("Per channel"));
    m_normalization->addItem(tr("Shared"));
    m_normalization->setToolTip(tr("Stretch each channel over the colour map, or use one range "
                                   "for all channels so they can be compared"));
    m_target = new QComboBox(box);
    m_target->setObjectName(QStringLiteral("visualise-target"));
    m_target->setToolTip(tr("The class score the attribution explains"));
    m_opacity = new QSlider(Qt::Horizontal, box);
    m_opacity->setObjectName(QStringLiteral("visualise-opacity"));
    m_opacity->setRange(0, 100);
    m_opacity->setValue(55);
    m_opacity->setToolTip(tr("Opacity of the heatmap over the input"));
    m_igSteps = new QSpinBox(box);
    m_igSteps->setObjectName(QStringLiteral("visualise-ig-steps"));
    m_igSteps->setRange(1, 512);
    m_igSteps->setValue(32);
    m_baseline = new QComboBox(box);
    m_baseline->setObjectName(QStringLiteral("visualise-baseline"));
    m_baseline->addItem(tr("Black image"), int(IgBaseline::Black));
    m_baseline->addItem(tr("Mean image"), int(IgBaseline::Mean));
    m_baseline->addItem(tr("Blurred input"), int(IgBaseline::Blurred));
    m_occlusionWindow = new QSpinBox(box);
    m_occlusionWindow->setObjectName(QStringLiteral("visualise-occlusion-window"));
    m_occlusionWindow->setRange(1, 16);
    m_occlusionWindow->setValue(4);
    m_occlusionWindow->setSuffix(tr(" px"));
    m_epsilon = new QDoubleSpinBox(box);
    m_epsilon->setObjectName(QStringLiteral("visualise-epsilon"));
    m_epsilon->setRange(0.0, 1.0);
    m_epsilon->setDecimals(3);
    m_epsilon->setSingleStep(0.01);
    m_epsilon->setValue(0.1);
    m_epsilon->setToolTip(tr("PGD-20's L-infinity radius in pixel units (images in [0, 1]); the "
                             "tiles are the clean image, the adversarial one and the "
                             "perturbation"));
    m_head = new QComboBox(box);
    m_head->setObjectName(QStringLiteral("visualise-head"));
    m_completeness = new QLabel(tr("—"), box);
    m_completeness->setObjectName("visualise-completeness");
    m_completeness->setToolTip(tr("|sum of attributions − (f(input) − f(baseline))| relative "
                                  "to the score difference: small means enough steps"));
    m_optionsForm->addRow(tr("Colour map:"), m_colormap);
    m_optionsForm->addRow(tr("Range:"), m_normalization);
    m_optionsForm->addRow(tr("Explain:"), m_target);
    m_optionsForm->addRow(tr("Opacity:"), m_opacity);
    m_optionsForm->addRow(tr("Steps:"), m_igSteps);
    m_optionsForm->addRow(tr("Baseline:"), m_baseline);
    m_optionsForm->addRow(tr("Completeness error:"), m_completeness);
    m_optionsForm->addRow(tr("Window:"), m_occlusionWindow);
    m_optionsForm->addRow(tr("Head:"), m_head);
    m_optionsForm->addRow(tr("Epsilon:"), m_epsilon);
    connect(m_epsilon, &QDoubleSpinBox::valueChanged, this, &VisualisePanel::scheduleRender);
    for (auto *combo : {m_colormap, m_normalization, m_target, m_baseline, m_head})
        connect(combo, &QComboBox::currentIndexChanged, this, &VisualisePanel::scheduleRender);
    for (auto *spin : {m_igSteps, m_occlusionWindow})
        connect(spin, &QSpinBox::valueChanged, this, &VisualisePanel::scheduleRender);
    connect(m_opacity, &QSlider::valueChanged, this, [this](int value) {
        m_view->setOpacity(value / 100.0);
        m_compareView->setOpacity(value / 100.0);
    });
    return box;
}

QWidget *VisualisePanel::buildViews()
{
    auto *box = new QWidget(this);
    auto *row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    auto addView = [&](InspectImageView *&view, QLabel *&caption) {
        auto *panel = new QWidget(box);
        auto *column = new QVBoxLayout(panel);
        column->setContentsMargins(0, 0, 0, 0);
        caption = new QLabel(panel);
        caption->setAlignment(Qt::AlignCenter);
        view = new InspectImageView(panel);
        view->setOpacity(m_opacity->value() / 100.0);
        column->addWidget(caption);
        column->addWidget(view, 1);
        row->addWidget(panel, 1);
        return panel;
    };
    addView(m_view, m_viewCaption);
    m_compareBox = addView(m_compareView, m_compareCaption);
    m_compareBox->setVisible(false);
    // The same channel is zoomed in both checkpoints.
    connect(m_view, &InspectImageView::zoomChanged, m_compareView,
            &InspectImageView::setZoomChannel);
    connect(m_compareView, &InspectImageView::zoomChanged, m_view,
            &InspectImageView::setZoomChannel);
    return box;
}

InspectMode VisualisePanel::mode() const
{
    return InspectMode(m_mode->currentData().toInt());
}

bool VisualisePanel::setMode(InspectMode mode)
{
    const int index = m_mode->findData(int(mode));
    auto *model = qobject_cast<QStandardItemModel *>(m_mode->model());
    if (index < 0 || (model && !model->item(index)->isEnabled()))
        return false;
    m_mode->setCurrentIndex(index);
    return true;
}

void VisualisePanel::updateOptionPages()
{
    const auto current = mode();
    const bool adversarial = current == InspectMode::Adversarial;
    const bool maps = current == InspectMode::FeatureMaps || adversarial; // both are grids
    const bool attention = current == InspectMode::Attention;
    const bool ig = current == InspectMode::IntegratedGradients;
    m_optionsForm->setRowVisible(m_normalization, maps && !adversarial);
    m_optionsForm->setRowVisible(m_colormap, !adversarial);
    m_optionsForm->setRowVisible(m_epsilon, adversarial);
    m_optionsForm->setRowVisible(m_target, !maps && !attention);
    m_optionsForm->setRowVisible(m_opacity, !maps);
    m_optionsForm->setRowVisible(m_igSteps, ig);
    m_optionsForm->setRowVisible(m_baseline, ig);
    m_optionsForm->setRowVisible(m_completeness, ig);
    m_optionsForm->setRowVisible(m_occlusionWindow, current == InspectMode::Occlusion);
    m_optionsForm->setRowVisible(m_head, attention);
    // Signed IG maps read best on the diverging map, the others on a sequential one.
    if (ig && m_colormap->currentData().toInt() != int(InspectColormap::Diverging))
        m_colormap->setCurrentIndex(m_colormap->findData(int(InspectColormap::Diverging)));
    else if (!ig && !maps && m_colormap->currentData().toInt() == int(InspectColormap::Diverging))
        m_colormap->setCurrentIndex(m_colormap->findData(int(InspectColormap::Magma)));
}

void VisualisePanel::setStatus(const QString &text)
{
    m_status->setText(text);
}

} // namespace lathe::panels
