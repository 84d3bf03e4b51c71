#pragma once

#include "core/train/lr_finder.h"
#include "core/train/run_config.h"

#include <QDialog>

class QLabel;
class QProgressBar;
class QPushButton;

namespace lathe::panels {

class LrFinderJob;
class PlotWidget;

/// The learning-rate finder: runs the range test for a config on a worker thread with a
/// progress bar and Cancel, plots the loss (raw and smoothed) against the rate on a log axis
/// with the suggested rate marked, and "Use this" hands the suggestion back through
/// lrChosen(). The model it trains is thrown away. GUI thread only.
class LrFinderDialog : public QDialog
{
    Q_OBJECT

public:
    explicit LrFinderDialog(train::RunConfig config, QWidget *parent = nullptr);
    ~LrFinderDialog() override;

    /// The sweep's settings (defaults: LrFinderOptions()); set before start().
    void setOptions(const train::LrFinderOptions &options) { m_options = options; }
    PlotWidget *plot() const { return m_plot; }
    /// The suggestion of the last finished sweep (0 before).
    double suggestedLr() const { return m_suggested; }

public Q_SLOTS:
    /// Starts (or restarts) the sweep; does nothing while one runs.
    void start();

Q_SIGNALS:
    /// "Use this" was pressed with the suggested rate.
    void lrChosen(double lr);

protected:
    void reject() override;

private:
    void onProgress(double lr, double loss, double smoothed, qint64 step, qint64 steps);
    void onFinished(const train::LrFinderResult &result);
    void onFailed(const QString &message, bool cancelled);
    void setRunning(bool running);
    void redraw();

    train::RunConfig m_config;
    train::LrFinderOptions m_options;
    LrFinderJob *m_job = nullptr;
    PlotWidget *m_plot = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_startButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QPushButton *m_useButton = nullptr;
    std::vector<train::LrFinderPoint> m_points;
    double m_suggested = 0.0;
};

} // namespace lathe::panels
