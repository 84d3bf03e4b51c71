#include "panels/window/screenshot_tour.h"

#include "panels/window/main_window.h"

#include <spdlog/spdlog.h>

#include <QApplication>
#include <QDockWidget>

namespace lathe::panels {

ScreenshotTour::ScreenshotTour(MainWindow &window, QDir out, qint64 steps)
    : QObject(&window)
    , m_window(window)
    , m_out(std::move(out))
    , m_steps(steps)
{
    m_timer.setInterval(250);
    connect(&m_timer, &QTimer::timeout, this, &ScreenshotTour::poll);
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
        dock->show();
        dock->raise();
        QApplication::processEvents();
        save(dock->widget(), dock->objectName().remove("dock-"));
    }
    m_window.session().stop();
    connect(&m_window.session(), &RunSession::finished, qApp, &QApplication::quit);
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
