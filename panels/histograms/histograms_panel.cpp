#include "panels/histograms/histograms_panel.h"

#include "panels/common/plot_axis.h"
#include "panels/bridge/store_client.h"
#include "panels/histograms/histogram_view.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

namespace {

constexpr track::HistogramKind kKinds[]{track::HistogramKind::Weights,
                                        track::HistogramKind::Gradients,
                                        track::HistogramKind::Activations};

QString kindName(track::HistogramKind kind)
{
    const auto name = track::toString(kind);
    return QString::fromLatin1(name.data(), qsizetype(name.size()));
}

} // namespace

HistogramsPanel::HistogramsPanel(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_store(&store)
{
    buildUi();
    m_timer.setInterval(kPollMs);
    connect(&m_timer, &QTimer::timeout, this, &HistogramsPanel::poll);
    updateEmptyText();
    updateSummary();
}

void HistogramsPanel::buildUi()
{
    m_tensor = new QComboBox(this);
    m_tensor->setObjectName(QStringLiteral("tensor"));
    m_tensor->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_tensor->setMinimumContentsLength(14);
    m_tensor->setToolTip(tr("The parameter (weights, gradients) or stage (activations)"));
    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("kind"));
    m_kind->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_kind->setMinimumContentsLength(11); // "activations"
    m_heatmapButton = new QToolButton(this);
    m_heatmapButton->setText(tr("Heatmap"));
    m_ridgelineButton = new QToolButton(this);
    m_ridgelineButton->setText(tr("Ridgeline"));
    auto *group = new QButtonGroup(this);
    for (auto *button : {m_heatmapButton, m_ridgelineButton}) {
        button->setCheckable(true);
        group->addButton(button);
    }
    m_heatmapButton->setChecked(true);
    m_logColour = new QCheckBox(tr("Log colour"), this);
    m_logColour->setToolTip(tr("Colour by log(1 + count), to see the sparse tails"));
    m_view = new HistogramView(this);
    m_view->setSeries(&m_series);
    m_status = new QLabel(this);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Tensor"), this));
    bar->addWidget(m_tensor);
    bar->addWidget(m_kind);
    bar->addSpacing(12);
    bar->addWidget(m_heatmapButton);
    bar->addWidget(m_ridgelineButton);
    bar->addWidget(m_logColour);
    bar->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);

    connect(m_tensor, &QComboBox::currentIndexChanged, this, [this] {
        fillKinds();
        selectionChanged();
    });
    connect(m_kind, &QComboBox::currentIndexChanged, this, &HistogramsPanel::selectionChanged);
    connect(m_ridgelineButton, &QToolButton::toggled, this, &HistogramsPanel::setMode);
    connect(m_logColour, &QCheckBox::toggled, m_view, &HistogramView::setLogColour);
    connect(m_view, &HistogramView::hovered, this, [this](const QString &text) {
        m_readout = text;
        updateSummary();
    });
}

std::optional<track::HistogramKey> HistogramsPanel::currentKey() const
{
    if (m_tensor->currentIndex() < 0 || m_kind->currentIndex() < 0)
        return std::nullopt;
    const auto kind = track::parseHistogramKind(m_kind->currentText().toStdString());
    if (!kind)
        return std::nullopt;
    return track::HistogramKey{m_tensor->currentText().toStdString(), *kind};
}

QString HistogramsPanel::statusText() const
{
    return m_status->text();
}

void HistogramsPanel::setSelection(const RunSelection &selection)
{
    if (selection.watched != m_runId)
        setRun(selection.watched);
}

void HistogramsPanel::setRun(std::int64_t runId)
{
    m_runId = runId;
    m_every = -1;
    m_live = true;
    m_missing = false;
    m_error.clear();
    m_keys.clear();
    {
        const QSignalBlocker blockTensor(m_tensor), blockKind(m_kind);
        m_tensor->clear();
        m_kind->clear();
    }
    ++m_generation;
    m_series.clear();
    m_view->seriesChanged();
    updateEmptyText();
    updateSummary();
    if (runId == 0) {
        m_timer.stop();
        return;
    }
    refresh();
}

void HistogramsPanel::refresh()
{
    if (m_runId == 0)
        return;
    m_timer.start();
    poll();
}

void HistogramsPanel::poll()
{
    if (m_runId == 0 || m_inFlight)
        return;
    m_inFlight = true;
    const HistogramPollRequest request{m_runId, currentKey(), m_series.lastStep()};
    const auto generation = m_generation;
    m_store->query(
        this, [request](track::RunStore &store) { return pollHistograms(store, request); },
        [this, generation](Result<HistogramPollResult> result) {
            applyPoll(std::move(result), generation);
        });
}

void HistogramsPanel::applyPoll(Result<HistogramPollResult> result, std::uint64_t generation)
{
    m_inFlight = false;
    if (generation != m_generation) {
        poll(); // the run or the series changed meanwhile: read for the new one
        return;
    }
    if (!result) {
        m_error = QString::fromStdString(result.error().toString());
        updateSummary();
        Q_EMIT polled();
        return;
    }
    m_error.clear();
    m_missing = result->missing;
    m_every = result->every;
    m_live = result->live;
    const bool hadKey = currentKey().has_value();
    updateKeys(result->keys);
    const std::size_t added = m_series.append(std::move(result->samples));
    if (added > 0)
        m_view->seriesChanged();
    // A series just got selected: read it now rather than at the next tick.
    if (!hadKey && currentKey())
        QMetaObject::invokeMethod(this, &HistogramsPanel::poll, Qt::QueuedConnection);
    else if (m_missing || (!result->live && added == 0))
        m_timer.stop(); // nothing more will come; refresh() or a new run starts again
    updateEmptyText();
    updateSummary();
    Q_EMIT polled();
}

void HistogramsPanel::updateKeys(const std::vector<track::HistogramKey> &keys)
{
    if (keys == m_keys)
        return;
    m_keys = keys;
    const QSignalBlocker block(m_tensor);
    const QString current = m_tensor->currentText();
    m_tensor->clear();
    for (const auto &key : m_keys) {
        const QString name = QString::fromStdString(key.name);
        if (m_tensor->findText(name) < 0)
            m_tensor->addItem(name);
    }
    m_tensor->setCurrentIndex(std::max(0, m_tensor->findText(current)));
    fillKinds();
}

void HistogramsPanel::fillKinds()
{
    const QSignalBlocker block(m_kind);
    const QString current = m_kind->currentText();
    const std::string name = m_tensor->currentText().toStdString();
    m_kind->clear();
    for (const auto kind : kKinds) {
        if (std::find(m_keys.begin(), m_keys.end(), track::HistogramKey{name, kind})
            != m_keys.end())
            m_kind->addItem(kindName(kind));
    }
    m_kind->setCurrentIndex(std::max(0, m_kind->findText(current)));
}

void HistogramsPanel::selectionChanged()
{
    ++m_generation;
    m_series.clear();
    m_view->seriesChanged();
    m_readout.clear();
    updateSummary();
    refresh();
}

void HistogramsPanel::setMode(bool ridgeline)
{
    m_view->setMode(ridgeline ? HistogramView::Mode::Ridgeline : HistogramView::Mode::Heatmap);
    m_logColour->setEnabled(!ridgeline);
}

void HistogramsPanel::updateEmptyText()
{
    m_tensor->setEnabled(!m_keys.empty());
    m_kind->setEnabled(!m_keys.empty());
    QString text;
    if (m_runId == 0)
        text = tr("Select a run to see the histograms of its weights, gradients and activations.");
    else if (m_missing)
        text = tr("This run is no longer in the store.");
    else if (m_every == 0 && m_keys.empty())
        text = tr("Histogram recording was off for this run (histograms.every = 0). Set "
                  "histograms.every to a number of steps to record them in the next run.");
    else if (m_keys.empty() && m_every > 0 && !m_live)
        text = tr("This run recorded no histograms: it ended before step %1 "
                  "(histograms.every = %1). Set histograms.every to fewer steps to record them "
                  "in the next run.")
                   .arg(m_every);
    else if (m_keys.empty() && m_every > 0)
        text = tr("Histograms are recorded every %1 steps; this run has none yet.").arg(m_every);
    else if (m_keys.empty())
        text = tr("Reading the run's histograms…");
    m_view->setEmptyText(text);
}

void HistogramsPanel::updateSummary()
{
    if (!m_error.isEmpty()) {
        m_status->setText(tr("Cannot read histograms: %1").arg(m_error));
        return;
    }
    if (!m_readout.isEmpty()) {
        m_status->setText(m_readout);
        return;
    }
    const auto key = currentKey();
    if (!key || m_series.empty()) {
        m_status->clear();
        return;
    }
    m_status->setText(tr("%1 %2 · %3 steps recorded (every %4) · range [%5, %6]")
                          .arg(QString::fromStdString(key->name), kindName(key->kind))
                          .arg(m_series.samples().size())
                          .arg(m_every)
                          .arg(formatExact(m_series.lo()), formatExact(m_series.hi())));
}

} // namespace lathe::panels
