#include "panels/hyperparams/schedule_preview.h"

#include "core/train/lr_schedule.h"
#include "panels/common/plot_widget.h"

#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

namespace {

constexpr std::int64_t kPreviewPoints = 400;

QString localCount(std::int64_t n)
{
    return QLocale::system().toString(qlonglong(n));
}

} // namespace

StepEstimate estimateSteps(const train::RunConfig &config, std::int64_t trainSamples)
{
    StepEstimate e;
    const auto &t = config.training;
    e.trainSamples = std::max<std::int64_t>(1, trainSamples);
    const std::int64_t perStep
        = std::max<std::int64_t>(1, t.batchSize) * std::max<std::int64_t>(1, t.accumulate);
    e.stepsPerEpoch = (e.trainSamples + perStep - 1) / perStep;
    e.totalSteps = e.stepsPerEpoch * std::max<std::int64_t>(1, t.epochs);
    return e;
}

SchedulePreview::SchedulePreview(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_plot = new PlotWidget(this);
    m_plot->setObjectName(QStringLiteral("schedulePlot"));
    m_plot->setAxisTitles(tr("optimizer step"), tr("learning rate"));
    m_plot->setLegendVisible(false);
    m_plot->setMinimumHeight(150);
    m_caption = new QLabel(this);
    m_caption->setObjectName(QStringLiteral("scheduleCaption"));
    m_caption->setWordWrap(true);
    // Room for the usual two wrapped lines, so a short splitter squeezes the form, not this.
    m_caption->setMinimumHeight(2 * m_caption->fontMetrics().lineSpacing());
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_caption);
}

void SchedulePreview::setConfig(const train::RunConfig &config,
                                std::optional<std::int64_t> trainSamples, bool counting)
{
    m_plot->setTitle(QString::fromStdString(config.schedule.type));
    m_plot->setEmptyText(trainSamples ? tr("Fix the config to see its learning-rate schedule")
                                      : tr("Counting the training samples…"));
    if (!trainSamples) {
        m_plot->setSeries({});
        m_caption->setText(tr("Counting the training samples of %1 at %2…")
                               .arg(QString::fromStdString(config.data.dataset),
                                    QString::fromStdString(config.data.path)));
        return;
    }
    const StepEstimate steps = estimateSteps(config, *trainSamples);
    const auto created = train::LrSchedule::create(config.schedule, config.optimizer.lr,
                                                   steps.stepsPerEpoch, steps.totalSteps);
    if (!created) {
        m_plot->setSeries({});
        m_caption->setText(tr("Cannot draw this schedule: %1")
                               .arg(QString::fromStdString(created.error().message)));
        return;
    }
    const train::LrSchedule &schedule = *created;
    const std::int64_t points = std::min(kPreviewPoints, steps.totalSteps);
    const auto at = schedule.previewSteps(points);
    const auto rates = schedule.preview(points);
    PlotSeries series{tr("learning rate"), QColor(0x1e, 0x88, 0xe5), {}, false};
    series.points.reserve(rates.size());
    for (std::size_t i = 0; i < rates.size(); ++i)
        series.points.push_back({double(at[i]), rates[i]});
    m_plot->setSeries({std::move(series)});

    QString text = tr("%1 steps: %2 epochs × %3 steps (%4 training samples / %5 per step)")
                       .arg(localCount(steps.totalSteps), localCount(config.training.epochs),
                            localCount(steps.stepsPerEpoch), localCount(steps.trainSamples),
                            localCount(config.training.batchSize * config.training.accumulate));
    if (counting)
        text += tr(" (of the previous data: counting the new data's samples…)");
    if (config.schedule.type == "plateau")
        text += tr(". Plateau cuts the rate when the validation loss stops improving, which "
                   "cannot be known in advance: only the base rate is drawn.");
    m_caption->setText(text);
}

QString SchedulePreview::caption() const
{
    return m_caption->text();
}

} // namespace lathe::panels
