#pragma once

#include "panels/common/cli_launcher.h"

namespace lathe::panels {

/// The `lathe-cli sweep` process the Sweep panel starts (one at a time), a CliLauncher that also
/// reads the id of the sweep it runs from its first line ("sweep 3 (name): ..."). Stopped with
/// SIGINT: the CLI passes it on to its workers, their running trials stop and the sweep becomes
/// stopped; the same happens when the launcher goes (CliLauncher's destructor). GUI thread only.
class SweepLauncher : public CliLauncher
{
    Q_OBJECT

public:
    explicit SweepLauncher(QObject *parent = nullptr);

    /// Starts `lathe-cli <arguments>` unless a process of this launcher runs; `sweepId` when
    /// the caller knows it (a resume), else 0 until the CLI names it. Failures as
    /// CliLauncher::start's.
    void start(const QStringList &arguments, qint64 sweepId = 0);
    /// The sweep the running process works on; 0 before it said which, or when none runs.
    qint64 sweepId() const { return isRunning() ? m_sweepId : 0; }

Q_SIGNALS:
    /// The process named the sweep it runs.
    void sweepNamed(qint64 sweepId);

private:
    void readLine(const QString &line);

    qint64 m_sweepId = 0;
};

} // namespace lathe::panels
