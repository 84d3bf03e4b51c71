#pragma once

#include <QDir>
#include <QObject>
#include <QTimer>

namespace lathe::panels {

class MainWindow;

/// Drives a real window through a short real run and saves what a person would see: the whole
/// window and each panel as PNGs in a folder (`lathe --screenshots DIR`, used by
/// scripts/screenshots). Starts the config in the form with a step limit, pauses two thirds of
/// the way, lets the panels poll the store, saves, stops the run and quits the application.
/// GUI thread only.
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

    MainWindow &m_window;
    QDir m_out;
    qint64 m_steps;
    QTimer m_timer;
    int m_settleTicks = 0;
    qint64 m_lastStep = 0;
};

} // namespace lathe::panels
