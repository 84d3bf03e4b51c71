#pragma once

#include <QObject>
#include <QString>

#include <filesystem>
#include <string>

namespace lathe::panels {

class CliLauncher;

/// A data-parallel run the window starts ("Workers: N" above 1, issue 18): the form's config is
/// written under util::dataDir()/data-parallel/ and trained by `lathe-cli train FILE --nproc N
/// --db STORE` as the window's child process (a CliLauncher: lathe-cli found beside the program,
/// in its install prefix or on PATH; never blocking the GUI thread). Rank 0 stores the run like
/// any lathe-cli run, so the window follows it through the store like a run started in a
/// terminal; this class only says which run it is (the "run N (" line rank 0 prints), pauses and
/// resumes it (SIGUSR1, SIGUSR2: lathe-cli passes them to its workers; rank 0 decides, and every
/// rank waits after the same step), stops it
/// (SIGINT: lathe-cli passes it to its workers, which finish their step and checkpoint) and says
/// how it ended, with the end of lathe-cli's stderr when it failed, before a run existed or
/// after. One run at a time. GUI thread only; destroying it stops the run (see CliLauncher).
class DataParallelRun : public QObject
{
    Q_OBJECT

public:
    /// Where the run is in its life.
    enum class State { Idle, Starting, Running, Paused, Stopping };

    /// Trains into the store at `db`.
    explicit DataParallelRun(std::filesystem::path db, QObject *parent = nullptr);

    /// Uses `path` as lathe-cli instead of CliLauncher::findCli()'s (tests).
    void setCliPath(const QString &path);
    /// Stop runs after this many steps (--max-steps; 0 = no limit), as RunSession::setMaxSteps.
    void setMaxSteps(qint64 steps) { m_maxSteps = steps; }

    /// Starts `configJson` (a whole run config, as the form holds it) named `name` on `workers`
    /// processes; false when a run of this object is active. A failure to write the config or
    /// to start lathe-cli arrives as failed() then finished().
    bool start(const std::string &name, const std::string &configJson, int workers);
    /// Sends SIGINT to lathe-cli (its workers stop after their step with a checkpoint).
    void stop();
    /// Running: sends SIGUSR1 to lathe-cli; the workers wait after their next step (the stored
    /// run reads paused once rank 0 is there). State Paused from now on.
    void pause();
    /// Paused: sends SIGUSR2 to lathe-cli; the workers go on. State Running again.
    void resume();

    State state() const { return m_state; }
    bool isActive() const { return m_state != State::Idle; }
    /// The stored run, once rank 0 created it; 0 before.
    qint64 runId() const { return m_runId; }
    int workers() const { return m_workers; }
    /// lathe-cli's process id while it runs (its workers are its children); 0 otherwise.
    qint64 processId() const;
    /// The config file the run was started from (empty before the first start).
    QString configPath() const { return m_configPath; }

Q_SIGNALS:
    void stateChanged(lathe::panels::DataParallelRun::State state);
    /// Rank 0 created run `runId` in the store.
    void runCreated(qint64 runId);
    /// lathe-cli could not be started or failed: what happened, with the end of its stderr
    /// ("lathe-cli train exited with code 3: error: ..."); `beforeRun` when no run was created.
    void failed(const QString &message, bool beforeRun);
    /// lathe-cli ended: "finished", "stopped" or "failed".
    void finished(const QString &outcome);

private:
    void readLine(const QString &line);
    void ended(bool ok);
    void setState(State state);

    std::filesystem::path m_db;
    CliLauncher *m_launcher = nullptr;
    State m_state = State::Idle;
    qint64 m_runId = 0;
    int m_workers = 1;
    qint64 m_maxSteps = 0;
    QString m_configPath;
    QString m_error;
    bool m_stopRequested = false;
};

} // namespace lathe::panels
