#include "panels/hyperparams/lr_finder_dialog.h"

#include "panels/bridge/lr_finder_job.h"
#include "panels/common/plot_widget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

QString rate(double lr)
{
    return QString::number(lr, 'g', 2);
}

} // namespace

LrFinderDialog::LrFinderDialog(train::RunConfig config, QWidget *parent)
    : QDialog(parent)
    , m_config(std::move(config))
    , m_job(new LrFinderJob(this))
{
    setWindowTitle(tr("Learning-rate finder"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(this);
    intro->setWordWrap(true);
    intro->setText(tr("Trains a copy of this config for a short sweep with the learning rate "
                      "growing exponentially, and stops once the loss explodes. Pick a rate "
                      "where the loss falls fastest. The model is thrown away."));
    m_plot = new PlotWidget(this);
    m_plot->setObjectName(QStringLiteral("lrFinderPlot"));
    m_plot->setLogX(true);
    m_plot->setAxisTitles(tr("learning rate"), tr("smoothed training loss"));
    m_plot->setLegendVisible(false);
    m_plot->setEmptyText(tr("Press Run to sweep the learning rate"));
    m_progress = new QProgressBar(this);
    m_progress->setValue(0);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("lrFinderStatus"));
    m_status->setWordWrap(true);

    m_startButton = new QPushButton(tr("Run"), this);
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    m_useButton = new QPushButton(tr("Use this"), this);
    m_useButton->setEnabled(false);
    auto *closeButton = new QPushButton(tr("Close"), this);
    m_startButton->setObjectName(QStringLiteral("lrFinderRun"));
    m_cancelButton->setObjectName(QStringLiteral("lrFinderCancel"));
    m_useButton->setObjectName(QStringLiteral("lrFinderUse"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_startButton);
    buttons->addWidget(m_cancelButton);
    buttons->addStretch(1);
    buttons->addWidget(m_useButton);
    buttons->addWidget(closeButton);

    layout->addWidget(intro);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addLayout(buttons);
    resize(560, 460);

    connect(m_startButton, &QPushButton::clicked, this, &LrFinderDialog::start);
    connect(m_cancelButton, &QPushButton::clicked, m_job, &LrFinderJob::cancel);
    connect(m_useButton, &QPushButton::clicked, this, [this] {
        Q_EMIT lrChosen(m_suggested);
        accept();
    });
    connect(closeButton, &QPushButton::clicked, this, &LrFinderDialog::reject);
    connect(m_job, &LrFinderJob::progress, this, &LrFinderDialog::onProgress);
    connect(m_job, &LrFinderJob::finished, this, &LrFinderDialog::onFinished);
    connect(m_job, &LrFinderJob::failed, this, &LrFinderDialog::onFailed);
    setRunning(false);
}

LrFinderDialog::~LrFinderDialog() = default;

void LrFinderDialog::start()
{
    if (m_job->isRunning())
        return;
    m_points.clear();
    m_suggested = 0.0;
    m_plot->setMarkers({});
    redraw();
    m_progress->setRange(0, int(m_options.steps));
    m_progress->setValue(0);
    const auto samples = m_config.data.subset > 0 && m_options.maxSamples > 0
                             ? std::min(m_config.data.subset, m_options.maxSamples)
                             : std::max(m_config.data.subset, m_options.maxSamples);
    m_status->setText(tr("Loading data and building the model (%1 steps on %2 samples, rate "
                         "%3 to %4)…")
                          .arg(m_options.steps)
                          .arg(samples > 0 ? QLocale().toString(qlonglong(samples)) : tr("all"))
                          .arg(rate(m_options.startLr), rate(m_options.endLr)));
    if (m_job->start(m_config, m_options))
        setRunning(true);
}

void LrFinderDialog::reject()
{
    m_job->cancel();
    QDialog::reject();
}

void LrFinderDialog::setRunning(bool running)
{
    m_startButton->setEnabled(!running);
    m_startButton->setText(m_points.empty() ? tr("Run") : tr("Run again"));
    m_cancelButton->setEnabled(running);
    m_useButton->setEnabled(!running && m_suggested > 0.0);
}

void LrFinderDialog::onProgress(double lr, double loss, double smoothed, qint64 step, qint64 steps)
{
    m_points.push_back({lr, loss, smoothed});
    m_progress->setRange(0, int(steps));
    m_progress->setValue(int(step));
    m_status->setText(tr("Step %1 of %2: rate %3, loss %4")
                          .arg(step)
                          .arg(steps)
                          .arg(rate(lr))
                          .arg(smoothed, 0, 'g', 4));
    redraw();
}

void LrFinderDialog::onFinished(const train::LrFinderResult &result)
{
    m_points = result.points;
    m_suggested = result.suggestedLr;
    redraw();
    m_progress->setValue(m_progress->maximum());
    m_plot->setMarkers(
        {{m_suggested, tr("suggested %1").arg(rate(m_suggested)), QColor(0xc6, 0x28, 0x28)}});
    QString text = tr("Suggested learning rate: %1 (%2).")
                       .arg(rate(m_suggested), QString::fromStdString(result.rule));
    if (result.diverged)
        text += tr(" The loss exploded at %1.").arg(rate(result.points.back().lr));
    m_status->setText(text);
    setRunning(false);
}

void LrFinderDialog::onFailed(const QString &message, bool cancelled)
{
    m_status->setText(cancelled ? tr("Cancelled.") : tr("The sweep failed: %1").arg(message));
    setRunning(false);
}

void LrFinderDialog::redraw()
{
    // Only the smoothed loss, as fastai and torch-lr-finder plot it: the raw loss of single
    // batches spikes by 10x near the end and would flatten the curve that matters.
    PlotSeries smooth{tr("smoothed loss"), QColor(0x1e, 0x88, 0xe5), {}, false};
    for (const auto &p : m_points)
        smooth.points.push_back({p.lr, p.smoothedLoss});
    if (m_points.empty())
        m_plot->setSeries({});
    else
        m_plot->setSeries({std::move(smooth)});
}

} // namespace lathe::panels
