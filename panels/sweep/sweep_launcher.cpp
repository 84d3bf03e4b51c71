#include "panels/sweep/sweep_launcher.h"

#include <QRegularExpression>

namespace lathe::panels {

SweepLauncher::SweepLauncher(QObject *parent)
    : CliLauncher(parent)
{
    connect(this, &CliLauncher::outputLine, this, &SweepLauncher::readLine);
}

void SweepLauncher::start(const QStringList &arguments, qint64 sweepId)
{
    if (isRunning())
        return;
    m_sweepId = sweepId;
    CliLauncher::start(arguments);
}

void SweepLauncher::readLine(const QString &line)
{
    if (m_sweepId != 0)
        return;
    static const QRegularExpression named(QStringLiteral("^sweep (\\d+) \\("));
    if (const auto match = named.match(line); match.hasMatch()) {
        m_sweepId = match.captured(1).toLongLong();
        Q_EMIT sweepNamed(m_sweepId);
    }
}

} // namespace lathe::panels
