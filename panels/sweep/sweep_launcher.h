#pragma once

#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace lathe::panels {

/// The `lathe-cli sweep` process the Sweep panel starts (one at a time): found next to the
/// window's executable, started as a child QProcess, read for the id of the sweep it runs
/// (its first line, "sweep 3 (name): ...") and for the tail of its stderr, stopped with SIGINT
/// (the CLI passes it on to its workers: their running trials stop and the sweep becomes
/// stopped). Destroying a launcher whose process runs stops it the same way and waits up to
/// kStopWaitMs for it, so closing the window never leaves a sweep running unseen; a process
/// still running then is killed (its workers have had SIGINT and stop on their own). GUI
/// thread only.
class SweepLauncher : public QObject
{
    Q_OBJECT

public:
    /// How long the destructor waits for a stopped sweep's process.
    static constexpr int kStopWaitMs = 5000;

    explicit SweepLauncher(QObject *parent = nullptr);
    ~SweepLauncher() override;

    /// lathe-cli beside the running executable (the installed layout) or in ../cli (the build
    /// tree: app/gui/lathe, app/cli/lathe-cli); empty when neither is an executable file.
    static QString findCli();
    /// Uses `path` as lathe-cli instead of findCli()'s (tests, which run elsewhere).
    void setCliPath(const QString &path) { m_cliPath = path; }

    /// Starts `lathe-cli <arguments>` unless a process of this launcher runs; `sweepId` when
    /// the caller knows it (a resume), else 0 until the CLI names it. Failures (no lathe-cli,
    /// cannot start, a non-zero exit) come as failed().
    void start(const QStringList &arguments, qint64 sweepId = 0);
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    /// The sweep the running process works on; 0 before it said which, or when none runs.
    qint64 sweepId() const { return isRunning() ? m_sweepId : 0; }
    /// Sends SIGINT to the running process.
    void interrupt();

Q_SIGNALS:
    /// The process named the sweep it runs.
    void sweepNamed(qint64 sweepId);
    /// The process could not be started, or it ended with an error: what happened, with the
    /// last lines of its stderr.
    void failed(const QString &message);
    /// A process started or ended.
    void runningChanged(bool running);

private:
    void readOutput();
    void readErrors();
    void ended(int exitCode, QProcess::ExitStatus status);
    /// The last non-empty lines of stderr, joined.
    QString errorTail() const;

    QProcess m_process;
    QString m_cliPath;
    qint64 m_sweepId = 0;
    QByteArray m_output; ///< stdout until the sweep's id was read
    QByteArray m_errors; ///< the end of stderr
};

} // namespace lathe::panels
