#include "panels/window/data_parallel_run.h"

#include "core/formats/atomic_file.h"
#include "core/util/file_name.h"
#include "core/util/paths.h"
#include "panels/common/cli_launcher.h"

#include <QDateTime>
#include <QRegularExpression>

#include <csignal>

namespace lathe::panels {

DataParallelRun::DataParallelRun(std::filesystem::path db, QObject *parent)
    : QObject(parent)
    , m_db(std::move(db))
    , m_launcher(new CliLauncher(this))
{
    connect(m_launcher, &CliLauncher::outputLine, this, &DataParallelRun::readLine);
    connect(m_launcher, &CliLauncher::failed, this, [this](const QString &message) {
        // The workers' own errors come first on stderr, then lathe-cli's lines about which
        // worker exited: the cause first, then the launcher's message with that tail.
        QStringList causes;
        for (const QString &line : m_launcher->errorLines())
            if (!line.startsWith(QLatin1String("lathe-cli train:")) && !message.contains(line))
                causes << line;
        m_error = causes.isEmpty() ? message : causes.join('\n') + "\n\n" + message;
    });
    connect(m_launcher, &CliLauncher::finished, this, &DataParallelRun::ended);
}

void DataParallelRun::setCliPath(const QString &path)
{
    m_launcher->setCliPath(path);
}

bool DataParallelRun::start(const std::string &name, const std::string &configJson, int workers)
{
    if (isActive())
        return false;
    m_runId = 0;
    m_workers = workers;
    m_error.clear();
    m_stopRequested = false;
    setState(State::Starting);
    const std::string file
        = util::safeFileName(name, "run") + "-"
          + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss-zzz").toStdString() + ".json";
    const auto path = util::dataDir() / "data-parallel" / file;
    if (auto written = formats::writeFileAtomically(path, configJson); !written) {
        m_error = tr("Cannot write the config to train: %1")
                      .arg(QString::fromStdString(written.error().toString()));
        ended(false);
        return true;
    }
    m_configPath = QString::fromStdString(path.string());
    QStringList arguments{"train",   m_configPath,
                          "--nproc", QString::number(workers),
                          "--db",    QString::fromStdString(m_db.string())};
    if (m_maxSteps > 0)
        arguments << "--max-steps" << QString::number(m_maxSteps);
    m_launcher->start(arguments);
    return true;
}

qint64 DataParallelRun::processId() const
{
    return m_launcher->processId();
}

void DataParallelRun::stop()
{
    if (!m_launcher->isRunning())
        return;
    m_stopRequested = true;
    m_launcher->interrupt();
    setState(State::Stopping);
}

void DataParallelRun::pause()
{
    if (m_state != State::Running || !m_launcher->isRunning())
        return;
    ::kill(pid_t(m_launcher->processId()), SIGUSR1);
    setState(State::Paused);
}

void DataParallelRun::resume()
{
    if (m_state != State::Paused || !m_launcher->isRunning())
        return;
    ::kill(pid_t(m_launcher->processId()), SIGUSR2);
    setState(State::Running);
}

void DataParallelRun::readLine(const QString &line)
{
    // Rank 0's first line names the run it created: "run 12 (name): cnn, 94 steps per epoch, …".
    static const QRegularExpression created(QStringLiteral("^run (\\d+) \\("));
    if (m_runId != 0)
        return;
    if (const auto match = created.match(line); match.hasMatch()) {
        m_runId = match.captured(1).toLongLong();
        if (m_state == State::Starting)
            setState(State::Running);
        Q_EMIT runCreated(m_runId);
    }
}

void DataParallelRun::ended(bool ok)
{
    if (!m_error.isEmpty())
        Q_EMIT failed(m_error, m_runId == 0);
    setState(State::Idle);
    Q_EMIT finished(ok && !m_stopRequested ? QStringLiteral("finished")
                    : ok                   ? QStringLiteral("stopped")
                                           : QStringLiteral("failed"));
}

void DataParallelRun::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace lathe::panels
