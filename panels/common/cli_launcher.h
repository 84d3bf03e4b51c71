#pragma once

#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace lathe::panels {

/// A `lathe-cli` command the window runs as a child process, one at a time (a sweep, a repeat
/// group): lathe-cli is found next to the window's executable, its stdout comes line by line,
/// the tail of its stderr goes into the message of a failure, and SIGINT stops it (the CLI takes
/// it as Ctrl-C and passes it on to its own children). Destroying a launcher whose process runs
/// stops it the same way and waits up to kStopWaitMs for it, so closing the window never leaves
/// a command running unseen; a process still running then is killed (its children have had
/// SIGINT and stop on their own). GUI thread only.
class CliLauncher : public QObject
{
    Q_OBJECT

public:
    /// How long the destructor waits for a stopped process.
    static constexpr int kStopWaitMs = 5000;

    explicit CliLauncher(QObject *parent = nullptr);
    ~CliLauncher() override;

    /// lathe-cli beside the running executable (the installed layout) or in ../cli (the build
    /// tree: app/gui/lathe, app/cli/lathe-cli), else in the install prefix's bin/
    /// (util::installPrefix()), else the first on PATH; empty when none is an executable file.
    static QString findCli();
    /// Uses `path` as lathe-cli instead of findCli()'s (tests, which run elsewhere).
    void setCliPath(const QString &path) { m_cliPath = path; }

    /// Starts `lathe-cli <arguments>` unless a process of this launcher runs. Failures (no
    /// lathe-cli, cannot start, a non-zero exit) come as failed(), named by the first argument
    /// ("lathe-cli sweep exited with code 2: ...").
    void start(const QStringList &arguments);
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    /// The running process's id; 0 when none runs.
    qint64 processId() const { return m_process.processId(); }
    /// The end of what the last process wrote on stderr (its last 4 KiB), line by line, each
    /// line once (workers that fail alike write the same message).
    QStringList errorLines() const;
    /// Sends SIGINT to the running process.
    void interrupt();

Q_SIGNALS:
    /// A line the process wrote on stdout, without its end of line.
    void outputLine(const QString &line);
    /// The process could not be started, or it ended with an error: what happened, with the
    /// last lines of its stderr.
    void failed(const QString &message);
    /// A process started or ended.
    void runningChanged(bool running);
    /// The process is over (after failed() when it failed): `ok` when it exited with 0.
    void finished(bool ok);

private:
    void readOutput();
    void readErrors();
    void ended(int exitCode, QProcess::ExitStatus status);
    /// The last non-empty lines of stderr, joined.
    QString errorTail() const;
    /// "lathe-cli sweep": the command in messages.
    QString command() const;

    QProcess m_process;
    QString m_cliPath;
    QStringList m_arguments;
    QByteArray m_output; ///< stdout after its last complete line
    QByteArray m_errors; ///< the end of stderr
};

} // namespace lathe::panels
