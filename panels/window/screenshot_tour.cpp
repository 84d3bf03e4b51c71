#include "panels/window/screenshot_tour.h"

#include "panels/errors/errors_panel.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/runs/compare_view.h"
#include "panels/runs/runs_panel.h"
#include "panels/histograms/histograms_panel.h"
#include "panels/visualise/visualise_panel.h"
#include "panels/window/main_window.h"
#include "panels/window/plugins_dialog.h"

#include <spdlog/spdlog.h>

#include <QApplication>
#include <QDockWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>

#include <algorithm>

namespace lathe::panels {

namespace {

constexpr int kInspectTimeoutTicks = 360; ///< 90 s at 250 ms

/// The off-diagonal cell of the confusion matrix with the most samples (-1s when none).
QPoint worstCell(const InspectErrors &errors)
{
    QPoint worst(-1, -1);
    qint64 most = 0;
    for (int t = 0; t < errors.confusion.size(); ++t) {
        for (int p = 0; p < errors.confusion[t].size(); ++p) {
            if (t != p && errors.confusion[t][p] > most) {
                most = errors.confusion[t][p];
                worst = {p, t};
            }
        }
    }
    return worst;
}

} // namespace

ScreenshotTour::ScreenshotTour(MainWindow &window, QDir out, qint64 steps)
    : QObject(&window)
    , m_window(window)
    , m_out(std::move(out))
    , m_steps(steps)
{
    m_timer.setInterval(250);
    connect(&m_timer, &QTimer::timeout, this, &ScreenshotTour::poll);
    m_inspectTimer.setInterval(250);
    connect(&m_inspectTimer, &QTimer::timeout, this, &ScreenshotTour::pollInspection);
}

void ScreenshotTour::start()
{
    m_out.mkpath(".");
    m_window.session().setMaxSteps(m_steps);
    connect(&m_window.session(), &RunSession::progress, this,
            [this](const SessionProgress &p) { m_lastStep = p.step; });
    m_window.startAction()->trigger();
    m_timer.start();
}

void ScreenshotTour::poll()
{
    auto &session = m_window.session();
    if (session.state() == SessionState::Failed || session.state() == SessionState::Finished
        || session.state() == SessionState::Stopped) {
        spdlog::error("screenshots: the run ended before it could be captured");
        QApplication::exit(1);
        return;
    }
    // Pause two thirds of the way through, so the window shows a live run with its progress,
    // then give the panels a few polls of the store before capturing.
    if (session.state() == SessionState::Running && m_lastStep * 3 >= m_steps * 2)
        session.pause();
    if (session.state() != SessionState::Paused || ++m_settleTicks < 8)
        return;
    m_timer.stop();
    capture();
}

void ScreenshotTour::capture()
{
    save(&m_window, "main-window");
    for (auto *dock : m_window.findChildren<QDockWidget *>()) {
        // Visualise and Errors need a checkpoint, Histograms the recorded steps: saved once the
        // run has stopped.
        const QString name = dock->objectName();
        if (name == "dock-visualise" || name == "dock-errors" || name == "dock-histograms")
            continue;
        dock->show();
        dock->raise();
        QApplication::processEvents();
        save(dock->widget(), dock->objectName().remove("dock-"));
    }
    PluginsDialog plugins(&m_window);
    plugins.show();
    QApplication::processEvents();
    save(&plugins, "plugins");
    plugins.close();
    m_window.session().stop();
    // Once: the second run's end (see addComparisonShots) is not this one's.
    connect(&m_window.session(), &RunSession::finished, this, &ScreenshotTour::inspect,
            Qt::SingleShotConnection);
}

void ScreenshotTour::inspect()
{
    const qint64 runId = m_window.session().runId();
    auto *visualise = m_window.visualisePanel();
    auto *errors = m_window.errorsPanel();
    auto *histograms = m_window.histogramsPanel();
    const RunSelection shown{.selected = {runId}, .inspected = runId, .watched = runId};
    auto viewOf = [visualise](InspectMode mode) {
        return [visualise, mode] {
            return !visualise->isBusy() && visualise->lastRender()
                   && visualise->lastRender()->mode == mode;
        };
    };
    auto raise = [this](const char *name) {
        auto *dock = m_window.dock(name);
        dock->show();
        dock->raise();
    };
    m_shots = {
        {"visualise-feature-maps",
         [=] {
             raise("dock-visualise");
             visualise->setSelection(shown);
         },
         viewOf(InspectMode::FeatureMaps), visualise},
        {"visualise-grad-cam", [=] { visualise->setMode(InspectMode::GradCam); },
         viewOf(InspectMode::GradCam), visualise},
        {"visualise-integrated-gradients",
         [=] { visualise->setMode(InspectMode::IntegratedGradients); },
         viewOf(InspectMode::IntegratedGradients), visualise},
        {{},
         [=] {
             raise("dock-errors");
             errors->setSelection(shown);
         },
         [=] {
             return errors->findChild<QPushButton *>(QStringLiteral("errors-compute"))->isEnabled();
         },
         nullptr},
        {{},
         [=] { errors->compute(); },
         [=] { return errors->report().has_value() && !errors->isComputing(); },
         nullptr},
        {"errors",
         [=] {
             const QPoint cell = worstCell(*errors->report());
             errors->openCell(cell.y(), cell.x());
         },
         [=] { return !errors->isLoadingThumbnails(); }, errors},
        {"histograms",
         [=] {
             raise("dock-histograms");
             histograms->setSelection(shown);
         },
         [=] { return !histograms->series().empty(); }, histograms},
    };
    addComparisonShots(runId);
    m_shot = 0;
    m_inspectTicks = 0;
    m_shots.front().begin();
    m_inspectTimer.start();
}

void ScreenshotTour::addComparisonShots(qint64 firstRun)
{
    // A second, shorter run, then the two compared (Runs panel, Compare tab), then the form
    // that "Fine-tune from here" fills from the first.
    auto &session = m_window.session();
    auto *runs = m_window.runsPanel();
    auto *hyperparams = m_window.hyperparamsPanel();
    auto *compare = runs->findChild<CompareView *>(QStringLiteral("compareView"));
    connect(compare, &CompareView::comparisonShown, this, [this] { m_compared = true; });
    auto raise = [this](const char *name) {
        auto *dock = m_window.dock(name);
        dock->show();
        dock->raise();
    };
    m_shots.push_back({{},
                       [=, &session, this] {
                           session.setMaxSteps(m_steps / 3);
                           m_window.startAction()->trigger();
                       },
                       [=, &session] {
                           return session.runId() != firstRun && !session.isActive()
                                  && session.state() != SessionState::Idle;
                       },
                       nullptr});
    m_shots.push_back({"compare",
                       [=, &session, this] {
                           raise("dock-runs");
                           m_compared = false;
                           runs->selectRuns({firstRun, session.runId()});
                           runs->compareSelected();
                       },
                       [this] { return m_compared; }, m_window.dock("dock-runs")->widget()});
    m_shots.push_back({"fine-tune-form",
                       [=] {
                           runs->selectRuns({firstRun});
                           runs->fineTuneFromCurrent();
                       },
                       [=] {
                           if (hyperparams->config().finetune.run.empty())
                               return false;
                           raise("dock-hyperparams");
                           scrollTo(hyperparams->findChild<QWidget *>("finetune.run"));
                           return true;
                       },
                       m_window.dock("dock-hyperparams")->widget()});
}

void ScreenshotTour::scrollTo(QWidget *field)
{
    // The form's own scroll area: the field near its top, with its section's title above.
    for (QWidget *w = field ? field->parentWidget() : nullptr; w; w = w->parentWidget()) {
        if (auto *area = qobject_cast<QScrollArea *>(w)) {
            area->verticalScrollBar()->setValue(field->mapTo(area->widget(), QPoint()).y() - 60);
            QApplication::processEvents();
            return;
        }
    }
}

void ScreenshotTour::pollInspection()
{
    ++m_inspectTicks;
    if (m_inspectTicks > kInspectTimeoutTicks) {
        spdlog::error("screenshots: the inspection views did not arrive (step {})", m_shot);
        QApplication::exit(1);
        return;
    }
    auto &shot = m_shots[m_shot];
    if (!shot.ready())
        return;
    if (shot.widget)
        save(shot.widget, shot.name);
    m_inspectTicks = 0;
    if (++m_shot == m_shots.size()) {
        m_inspectTimer.stop();
        QApplication::quit();
        return;
    }
    m_shots[m_shot].begin();
}

void ScreenshotTour::save(QWidget *widget, const QString &name)
{
    const QString path = m_out.filePath(name + ".png");
    if (!widget->grab().save(path))
        spdlog::error("screenshots: cannot write {}", path.toStdString());
    else
        spdlog::info("screenshots: wrote {}", path.toStdString());
}

} // namespace lathe::panels
