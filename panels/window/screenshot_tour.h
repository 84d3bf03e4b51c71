#pragma once

#include <QDir>
#include <QObject>
#include <QTimer>

#include <functional>
#include <vector>

namespace lathe::panels {

class MainWindow;

/// Drives a real window through a short real run and saves what a person would see: the whole
/// window and each panel as PNGs in a folder (`lathe --screenshots DIR`, used by
/// scripts/screenshots). Starts the config in the form with a step limit, pauses two thirds of
/// the way, lets the panels poll the store, saves, stops the run (which writes its last
/// checkpoint), then saves the Visualise views (feature maps, Grad-CAM, integrated gradients)
/// and the Errors panel (confusion matrix, the worst cell's gallery) of that checkpoint; then
/// trains a second, shorter run, saves the two compared (Runs panel, Compare tab) and the form
/// as "Fine-tune from here" fills it from the first, and quits the application. GUI thread only.
class ScreenshotTour : public QObject
{
    Q_OBJECT

public:
    ScreenshotTour(MainWindow &window, QDir out, qint64 steps);
    void start();

private:
    void poll();
    void capture();
    void save(QWidget *widget, const QString &name);
    void inspect();
    /// A second run, the two compared, and the fine-tune form filled from the first.
    void addComparisonShots(qint64 firstRun);
    void pollInspection();
    static void scrollTo(QWidget *field);

    /// One inspection screenshot: `begin` asks for it, `ready` says when to save `widget`.
    struct Shot
    {
        QString name;
        std::function<void()> begin;
        std::function<bool()> ready;
        QWidget *widget = nullptr;
    };

    MainWindow &m_window;
    QDir m_out;
    qint64 m_steps;
    QTimer m_timer;
    int m_settleTicks = 0;
    qint64 m_lastStep = 0;
    QTimer m_inspectTimer;
    std::vector<Shot> m_shots;
    std::size_t m_shot = 0;
    int m_inspectTicks = 0;
    bool m_compared = false;
};

} // namespace lathe::panels
