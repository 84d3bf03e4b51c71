#pragma once

#include "core/train/run_config.h"
#include "core/train/steering.h"
#include "core/util/error.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QTimer>

#include <deque>
#include <filesystem>
#include <memory>

namespace lathe::panels {

/// Where a session's run is in its life.
enum class SessionState { Idle, Preparing, Running, Paused, Finished, Stopped, Failed };

/// The latest training step, as the status bar and the panels show it.
struct SessionProgress
{
    qint64 runId = 0;
    qint64 step = 0;       ///< optimizer steps done
    qint64 totalSteps = 0; ///< steps the run will take (the step limit when lower)
    double epoch = 0;      ///< fractional
    qint64 epochs = 0;
    double loss = 0;     ///< the last finite step loss: NaN until a step had one (DP-SGD's
    double accuracy = 0; ///< empty Poisson batches have none), as accuracy
    double lr = 0;
    double samplesPerSecond = 0; ///< latest measurement (0 until the first)
    double etaSeconds = -1;      ///< -1 until it can be estimated
};

/// One evaluation ("val" each epoch, "test" at the end).
struct SessionEval
{
    QString split;
    qint64 epoch = 0;
    double loss = 0;
    double accuracy = 0;
};

/// Drives one core RunJob (a training run recorded in the store) on its own thread and turns
/// its events into signals on the GUI thread, coalesced to at most ~30 a second: progress()
/// carries only the latest step, evaluations and notes are delivered in order. Preparing a run
/// (loading data, building the model) also happens on that thread. One run at a time; a
/// finished session can start another. GUI thread only (the signals arrive there too). The
/// destructor stops a running run (it is checkpointed and marked stopped) and waits for it.
class RunSession : public QObject
{
    Q_OBJECT

public:
    explicit RunSession(std::filesystem::path db, QObject *parent = nullptr);
    ~RunSession() override;

    /// Starts a new run of `config` (named `name`, or the config's name). False when a run is
    /// already active. Errors while preparing arrive as failed().
    bool start(const train::RunConfig &config, const QString &name = {});
    /// Continues a stopped or interrupted run from its last checkpoint. False when busy.
    bool resumeRun(qint64 runId);
    /// Pauses at the next step boundary; resume() continues. No-ops when not applicable.
    void pause();
    void resume();
    /// Stops at the next step boundary; the run is checkpointed and marked stopped.
    void stop();
    /// Steers the paused run (see Trainer::steer); the change takes effect on resume().
    /// InvalidArgument when not paused or a value is out of range.
    Result<void> steer(const train::SteerPoint &change);
    /// The steering in effect (defaults when no run is active).
    train::SteerPoint steering() const;

    SessionState state() const { return m_state; }
    bool isActive() const;
    qint64 runId() const { return m_runId; }
    /// Stop new runs after this many steps (0 = no limit); for tests and quick looks.
    void setMaxSteps(qint64 steps) { m_maxSteps = steps; }

Q_SIGNALS:
    void stateChanged(lathe::panels::SessionState state);
    void runCreated(qint64 runId);
    void progress(const lathe::panels::SessionProgress &progress);
    void evaluated(const lathe::panels::SessionEval &eval);
    /// A timeline note: "paused", "resumed", "steered", "lr_reduced", "checkpoint".
    void noted(const QString &kind, qint64 step);
    void finished(const QString &outcome);
    void failed(const QString &message);

private:
    class Worker;
    bool launch(std::unique_ptr<Worker> worker);
    void drain();
    void setState(SessionState state);
    /// Seconds left at the step rate of the last kEtaWindowSeconds (-1 until measurable).
    double estimateEta(qint64 step, qint64 totalSteps);

    static constexpr double kEtaWindowSeconds = 20.0;
    std::filesystem::path m_db;
    std::unique_ptr<Worker> m_worker;
    QTimer m_timer; ///< drains the worker's events ~30 times a second while a run is active
    SessionState m_state = SessionState::Idle;
    qint64 m_runId = 0;
    qint64 m_maxSteps = 0;
    std::deque<std::pair<double, qint64>> m_rateWindow; ///< (monotonic seconds, step)
};

} // namespace lathe::panels

Q_DECLARE_METATYPE(lathe::panels::SessionProgress)
Q_DECLARE_METATYPE(lathe::panels::SessionEval)
Q_DECLARE_METATYPE(lathe::panels::SessionState)
