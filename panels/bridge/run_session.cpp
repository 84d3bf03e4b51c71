#include "panels/bridge/run_session.h"

#include "core/train/run_job.h"
#include "core/util/clock.h"
#include "panels/bridge/signal_rate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace lathe::panels {

/// The training thread's side: prepares the job, runs it, and queues what happened for the GUI
/// thread to drain. Everything below m_mutex is shared between the two threads.
class RunSession::Worker : public train::TrainObserver
{
public:
    /// What the GUI thread takes each drain.
    struct Batch
    {
        std::optional<qint64> runCreated;
        std::optional<train::StepEvent> lastStep;
        std::vector<SessionEval> evals;
        std::vector<std::pair<QString, qint64>> notes;
        std::optional<QString> finished;
        std::optional<QString> failed;
        qint64 totalSteps = 0;
        qint64 epochs = 0;
        bool done = false;
    };

    using Prepare = std::function<Result<std::unique_ptr<train::RunJob>>()>;

    explicit Worker(Prepare prepare)
        : m_prepare(std::move(prepare))
    {
    }

    void start()
    {
        m_thread = std::jthread([this](std::stop_token stop) { threadMain(stop); });
    }

    ~Worker() override
    {
        m_thread.request_stop();
        if (m_thread.joinable())
            m_thread.join();
    }

    void pause()
    {
        std::lock_guard lock(m_mutex);
        m_pauseRequested = true;
        if (m_job)
            m_job->trainer().pause();
    }

    void resume()
    {
        std::lock_guard lock(m_mutex);
        m_pauseRequested = false;
        if (m_job)
            m_job->trainer().resume();
    }

    void stop() { m_thread.request_stop(); }

    Result<void> steer(const train::SteerPoint &change)
    {
        std::lock_guard lock(m_mutex);
        if (!m_job)
            return fail(ErrorCode::InvalidArgument, "no run is being trained", "steering");
        return m_job->trainer().steer(change);
    }

    std::optional<train::SteerPoint> steering() const
    {
        std::lock_guard lock(m_mutex);
        if (!m_job)
            return std::nullopt;
        return m_job->trainer().steering();
    }

    Batch take()
    {
        std::lock_guard lock(m_mutex);
        Batch out = std::move(m_pending);
        m_pending = {};
        out.totalSteps = m_totalSteps;
        out.epochs = m_epochs;
        return out;
    }

    // TrainObserver, on the training thread.
    void onStep(const train::StepEvent &e) override
    {
        std::lock_guard lock(m_mutex);
        if (e.samplesPerSecond > 0)
            m_samplesPerSecond = e.samplesPerSecond;
        // A DP-SGD step whose Poisson batch drew no example has no loss or accuracy (NaN):
        // the progress keeps the last step's that had them.
        if (std::isfinite(e.loss))
            m_loss = e.loss;
        if (std::isfinite(e.accuracy))
            m_accuracy = e.accuracy;
        m_pending.lastStep = e;
        m_pending.lastStep->samplesPerSecond = m_samplesPerSecond;
        m_pending.lastStep->loss = m_loss;
        m_pending.lastStep->accuracy = m_accuracy;
    }

    void onEval(const train::EvalEvent &e) override
    {
        std::lock_guard lock(m_mutex);
        m_pending.evals.push_back(
            {QString::fromStdString(e.split), e.epoch, e.result.loss, e.result.accuracy});
    }

    void onCheckpoint(const train::CheckpointEvent &e) override
    {
        std::lock_guard lock(m_mutex);
        m_pending.notes.emplace_back("checkpoint", e.step);
    }

    void onNote(const train::NoteEvent &e) override
    {
        std::lock_guard lock(m_mutex);
        m_pending.notes.emplace_back(QString::fromStdString(e.kind), e.step);
    }

private:
    void threadMain(std::stop_token stop)
    {
        auto job = m_prepare();
        if (!job) {
            finish(std::nullopt, QString::fromStdString(job.error().toString()));
            return;
        }
        {
            std::lock_guard lock(m_mutex);
            m_job = std::move(*job);
            m_job->setObserver(this);
            auto &trainer = m_job->trainer();
            m_totalSteps = trainer.totalSteps();
            if (trainer.maxSteps() > 0)
                m_totalSteps = std::min<qint64>(m_totalSteps, trainer.maxSteps());
            m_epochs = trainer.config().training.epochs;
            m_pending.runCreated = m_job->runId();
            if (m_pauseRequested)
                trainer.pause();
        }
        auto outcome = m_job->run(stop);
        if (!outcome)
            finish(std::nullopt, QString::fromStdString(outcome.error().toString()));
        else
            finish(QString::fromUtf8(train::toString(*outcome)), std::nullopt);
    }

    void finish(std::optional<QString> outcome, std::optional<QString> error)
    {
        if (error)
            spdlog::error("training failed: {}", error->toStdString());
        std::lock_guard lock(m_mutex);
        m_pending.finished = std::move(outcome);
        m_pending.failed = std::move(error);
        m_pending.done = true;
    }

    Prepare m_prepare;
    mutable std::mutex m_mutex;
    std::unique_ptr<train::RunJob> m_job; // set once prepared; used under m_mutex by the GUI
    Batch m_pending;
    bool m_pauseRequested = false;
    qint64 m_totalSteps = 0;
    qint64 m_epochs = 0;
    double m_samplesPerSecond = 0;
    double m_loss = std::nan("");     // the last finite step loss (NaN until one)
    double m_accuracy = std::nan(""); // ... and accuracy
    std::jthread m_thread;            // last: joined first on destruction
};

RunSession::RunSession(std::filesystem::path db, QObject *parent)
    : QObject(parent)
    , m_db(std::move(db))
{
    qRegisterMetaType<SessionProgress>();
    qRegisterMetaType<SessionEval>();
    qRegisterMetaType<SessionState>();
    m_timer.setInterval(kSignalIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &RunSession::drain);
}

RunSession::~RunSession()
{
    m_worker.reset(); // stops and joins the training thread
}

bool RunSession::isActive() const
{
    return m_state == SessionState::Preparing || m_state == SessionState::Running
           || m_state == SessionState::Paused;
}

bool RunSession::start(const train::RunConfig &config, const QString &name)
{
    train::RunJobOptions options{m_db, name.toStdString(), m_maxSteps};
    return launch(std::make_unique<Worker>(
        [config, options] { return train::RunJob::createNew(config, options); }));
}

bool RunSession::resumeRun(qint64 runId)
{
    train::RunJobOptions options{m_db, {}, m_maxSteps};
    return launch(std::make_unique<Worker>([runId, options] {
        return train::RunJob::resumeExisting(std::to_string(runId), options);
    }));
}

bool RunSession::launch(std::unique_ptr<Worker> worker)
{
    if (isActive())
        return false;
    m_worker = std::move(worker);
    m_runId = 0;
    setState(SessionState::Preparing);
    m_worker->start();
    m_timer.start();
    return true;
}

void RunSession::pause()
{
    if (m_worker && (m_state == SessionState::Running || m_state == SessionState::Preparing)) {
        m_worker->pause();
        setState(SessionState::Paused);
    }
}

void RunSession::resume()
{
    if (m_worker && m_state == SessionState::Paused) {
        m_worker->resume();
        setState(m_runId ? SessionState::Running : SessionState::Preparing);
    }
}

void RunSession::stop()
{
    if (m_worker && isActive()) {
        m_worker->resume(); // a paused loop must wake up to see the stop
        m_worker->stop();
    }
}

Result<void> RunSession::steer(const train::SteerPoint &change)
{
    if (!m_worker || m_state != SessionState::Paused)
        return fail(ErrorCode::InvalidArgument, "pause the run before steering it", "steering");
    return m_worker->steer(change);
}

train::SteerPoint RunSession::steering() const
{
    if (m_worker)
        if (auto current = m_worker->steering())
            return *current;
    return {};
}

void RunSession::drain()
{
    if (!m_worker)
        return;
    auto batch = m_worker->take();
    if (batch.runCreated) {
        m_runId = *batch.runCreated;
        if (m_state == SessionState::Preparing)
            setState(SessionState::Running);
        Q_EMIT runCreated(m_runId);
    }
    if (batch.lastStep) {
        const auto &e = *batch.lastStep;
        SessionProgress p{m_runId,
                          e.step,
                          batch.totalSteps,
                          e.epoch,
                          batch.epochs,
                          e.loss,
                          e.accuracy,
                          e.lr,
                          e.samplesPerSecond,
                          estimateEta(e.step, batch.totalSteps)};
        Q_EMIT progress(p);
    }
    for (const auto &eval : batch.evals)
        Q_EMIT evaluated(eval);
    for (const auto &[kind, step] : batch.notes)
        Q_EMIT noted(kind, step);
    if (batch.done) {
        m_timer.stop();
        if (batch.failed) {
            setState(SessionState::Failed);
            Q_EMIT failed(*batch.failed);
        } else {
            setState(*batch.finished == "stopped" ? SessionState::Stopped : SessionState::Finished);
            Q_EMIT finished(*batch.finished);
        }
    }
}

double RunSession::estimateEta(qint64 step, qint64 totalSteps)
{
    const double now = util::monotonicNow();
    m_rateWindow.emplace_back(now, step);
    while (m_rateWindow.size() > 2 && now - m_rateWindow.front().first > kEtaWindowSeconds)
        m_rateWindow.pop_front();
    const auto &[t0, s0] = m_rateWindow.front();
    if (now - t0 < 0.5 || step <= s0 || totalSteps <= 0)
        return -1;
    const double stepsPerSecond = double(step - s0) / (now - t0);
    return double(std::max<qint64>(totalSteps - step, 0)) / stepsPerSecond;
}

void RunSession::setState(SessionState state)
{
    if (state == m_state)
        return;
    if (state != SessionState::Running)
        m_rateWindow.clear(); // a pause must not count as slow training
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace lathe::panels
