#include "panels/sweep/sweep_launcher.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include <spdlog/spdlog.h>

#include <csignal>

namespace lathe::panels {

namespace {

// The stderr kept for an error message: enough for its last lines.
constexpr qsizetype kErrorTail = 4096;
constexpr int kErrorLines = 3;

} // namespace

SweepLauncher::SweepLauncher(QObject *parent)
    : QObject(parent)
    , m_cliPath(findCli())
{
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &SweepLauncher::readOutput);
    connect(&m_process, &QProcess::readyReadStandardError, this, &SweepLauncher::readErrors);
    connect(&m_process, &QProcess::finished, this, &SweepLauncher::ended);
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            Q_EMIT failed(tr("Cannot start %1: %2").arg(m_cliPath, m_process.errorString()));
    });
    connect(&m_process, &QProcess::stateChanged, this, [this](QProcess::ProcessState state) {
        if (state != QProcess::Running)
            Q_EMIT runningChanged(state == QProcess::Starting);
    });
}

SweepLauncher::~SweepLauncher()
{
    if (!isRunning())
        return;
    // The owner is going: nothing is told any more, the process is only stopped.
    m_process.disconnect();
    const auto pid = m_process.processId();
    interrupt();
    if (m_process.waitForFinished(kStopWaitMs))
        return;
    spdlog::warn("lathe-cli sweep (pid {}) did not stop within {} ms of SIGINT; killing it (its "
                 "workers stop on their own; `lathe-cli sweep resume` goes on)",
                 pid, kStopWaitMs);
    m_process.kill();
    m_process.waitForFinished(1000);
}

QString SweepLauncher::findCli()
{
    const QDir here(QCoreApplication::applicationDirPath());
    for (const QString &candidate :
         {here.filePath("lathe-cli"), here.filePath("../cli/lathe-cli")}) {
        const QFileInfo file(candidate);
        if (file.isFile() && file.isExecutable())
            return file.canonicalFilePath();
    }
    return {};
}

void SweepLauncher::start(const QStringList &arguments, qint64 sweepId)
{
    if (isRunning())
        return;
    if (m_cliPath.isEmpty()) {
        Q_EMIT failed(tr("lathe-cli was not found beside this program (in %1 or %1/../cli)")
                          .arg(QCoreApplication::applicationDirPath()));
        return;
    }
    m_sweepId = sweepId;
    m_output.clear();
    m_errors.clear();
    m_process.start(m_cliPath, arguments);
}

void SweepLauncher::interrupt()
{
    if (const auto pid = m_process.processId(); pid > 0)
        ::kill(pid_t(pid), SIGINT);
}

void SweepLauncher::readOutput()
{
    const QByteArray text = m_process.readAllStandardOutput();
    if (m_sweepId != 0)
        return;
    m_output += text;
    static const QRegularExpression named(QStringLiteral("^sweep (\\d+) \\("),
                                          QRegularExpression::MultilineOption);
    if (const auto match = named.match(QString::fromUtf8(m_output)); match.hasMatch()) {
        m_sweepId = match.captured(1).toLongLong();
        m_output.clear();
        Q_EMIT sweepNamed(m_sweepId);
    }
}

void SweepLauncher::readErrors()
{
    m_errors += m_process.readAllStandardError();
    if (m_errors.size() > kErrorTail)
        m_errors.remove(0, m_errors.size() - kErrorTail);
}

QString SweepLauncher::errorTail() const
{
    const QStringList lines = QString::fromUtf8(m_errors).split('\n', Qt::SkipEmptyParts);
    return lines.mid(std::max<qsizetype>(0, lines.size() - kErrorLines))
        .join(QStringLiteral(" · "));
}

void SweepLauncher::ended(int exitCode, QProcess::ExitStatus status)
{
    readErrors();
    if (status == QProcess::CrashExit)
        Q_EMIT failed(tr("lathe-cli sweep ended abnormally: %1").arg(errorTail()));
    else if (exitCode != 0)
        Q_EMIT failed(tr("lathe-cli sweep exited with code %1: %2").arg(exitCode).arg(errorTail()));
}

} // namespace lathe::panels
