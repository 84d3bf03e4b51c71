#pragma once

#include "core/train/lr_finder.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <stop_token>

namespace lathe::panels {

/// Runs train::findLearningRate on a worker thread (QtConcurrent) for a widget: each measured
/// point arrives as progress(), then exactly one of finished() or failed(). cancel() requests
/// the stop, which the sweep honours at its next step. One sweep at a time. Create, use and
/// destroy on the GUI thread; the destructor cancels a running sweep and waits for it (at most
/// one training step).
class LrFinderJob : public QObject
{
    Q_OBJECT

public:
    explicit LrFinderJob(QObject *parent = nullptr);
    ~LrFinderJob() override;

    /// Starts a sweep of `config`; false (and nothing starts) when one is already running.
    bool start(const train::RunConfig &config, const train::LrFinderOptions &options);
    /// Asks a running sweep to stop; it then ends with failed(..., true).
    void cancel();
    bool isRunning() const;

Q_SIGNALS:
    /// One step measured: its rate, raw and smoothed loss, and the 1-based step of `steps`.
    void progress(double lr, double loss, double smoothedLoss, qint64 step, qint64 steps);
    void finished(const lathe::train::LrFinderResult &result);
    /// The sweep failed (`message` says why) or was cancelled (`cancelled` true).
    void failed(const QString &message, bool cancelled);

private:
    void onDone();

    QFutureWatcher<Result<train::LrFinderResult>> m_watcher;
    std::stop_source m_stop;
};

} // namespace lathe::panels
