#include "panels/common/cli_launcher.h"

#include "core/util/paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <spdlog/spdlog.h>

#include <csignal>

namespace lathe::panels {

namespace {

// The stderr kept for an error message: enough for its last lines.
constexpr qsizetype kErrorTail = 4096;
constexpr int kErrorLines = 3;

} // namespace

CliLauncher::CliLauncher(QObject *parent)
    : QObject(parent)
    , m_cliPath(findCli())
{
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &CliLauncher::readOutput);
    connect(&m_process, &QProcess::readyReadStandardError, this, &CliLauncher::readErrors);
    connect(&m_process, &QProcess::finished, this, &CliLauncher::ended);
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart)
            return;
        Q_EMIT failed(tr("Cannot start %1: %2").arg(m_cliPath, m_process.errorString()));
        Q_EMIT finished(false);
    });
    connect(&m_process, &QProcess::stateChanged, this, [this](QProcess::ProcessState state) {
        if (state != QProcess::Running)
            Q_EMIT runningChanged(state == QProcess::Starting);
    });
}

CliLauncher::~CliLauncher()
{
    if (!isRunning())
        return;
    // The owner is going: nothing is told any more, the process is only stopped.
    m_process.disconnect();
    const auto pid = m_process.processId();
    interrupt();
    if (m_process.waitForFinished(kStopWaitMs))
        return;
    spdlog::warn("{} (pid {}) did not stop within {} ms of SIGINT; killing it (its child "
                 "processes had SIGINT and stop on their own)",
                 command().toStdString(), pid, kStopWaitMs);
    m_process.kill();
    m_process.waitForFinished(1000);
}

QString CliLauncher::findCli()
{
    const QDir here(QCoreApplication::applicationDirPath());
    QStringList candidates{here.filePath("lathe-cli"), here.filePath("../cli/lathe-cli")};
    if (const auto prefix = util::installPrefix(); !prefix.empty())
        candidates << QString::fromStdString((prefix / "bin" / "lathe-cli").string());
    candidates << QStandardPaths::findExecutable(QStringLiteral("lathe-cli"));
    for (const QString &candidate : candidates) {
        const QFileInfo file(candidate);
        if (!candidate.isEmpty() && file.isFile() && file.isExecutable())
            return file.canonicalFilePath();
    }
    return {};
}

void CliLauncher::start(const QStringList &arguments)
{
    if (isRunning())
        return;
    if (m_cliPath.isEmpty()) {
        Q_EMIT failed(tr("lathe-cli was not found beside this program (in %1 or %1/../cli), in "
                         "its install prefix or on PATH: install Lathe's command-line tool or "
                         "add its folder to PATH")
                          .arg(QCoreApplication::applicationDirPath()));
        Q_EMIT finished(false);
        return;
    }
    m_arguments = arguments;
    m_output.clear();
    m_errors.clear();
    m_process.start(m_cliPath, arguments);
}

void CliLauncher::interrupt()
{
    if (const auto pid = m_process.processId(); pid > 0)
        ::kill(pid_t(pid), SIGINT);
}

QString CliLauncher::command() const
{
    return m_arguments.isEmpty() ? QStringLiteral("lathe-cli")
                                 : QStringLiteral("lathe-cli %1").arg(m_arguments.first());
}

void CliLauncher::readOutput()
{
    m_output += m_process.readAllStandardOutput();
    qsizetype end = 0;
    while ((end = m_output.indexOf('\n')) >= 0) {
        const QString line = QString::fromUtf8(m_output.left(end));
        m_output.remove(0, end + 1);
        Q_EMIT outputLine(line);
    }
}

void CliLauncher::readErrors()
{
    m_errors += m_process.readAllStandardError();
    if (m_errors.size() > kErrorTail)
        m_errors.remove(0, m_errors.size() - kErrorTail);
}

QStringList CliLauncher::errorLines() const
{
    QStringList lines = QString::fromUtf8(m_errors).split('\n', Qt::SkipEmptyParts);
    lines.removeDuplicates();
    return lines;
}

QString CliLauncher::errorTail() const
{
    const QStringList lines = QString::fromUtf8(m_errors).split('\n', Qt::SkipEmptyParts);
    return lines.mid(std::max<qsizetype>(0, lines.size() - kErrorLines))
        .join(QStringLiteral(" · "));
}

void CliLauncher::ended(int exitCode, QProcess::ExitStatus status)
{
    readOutput();
    readErrors();
    if (status == QProcess::CrashExit)
        Q_EMIT failed(tr("%1 ended abnormally: %2").arg(command(), errorTail()));
    else if (exitCode != 0)
        Q_EMIT failed(
            tr("%1 exited with code %2: %3").arg(command()).arg(exitCode).arg(errorTail()));
    Q_EMIT finished(status == QProcess::NormalExit && exitCode == 0);
}

} // namespace lathe::panels
