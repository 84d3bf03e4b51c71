#pragma once

#include "core/train/steering.h"
#include "panels/bridge/run_session.h"

#include <QObject>

#include <map>
#include <optional>

namespace lathe::panels {

/// Writes the life of the window's runs to the log, where the Log panel shows it with its time
/// stamps: started, paused and resumed (at which step), steered (what changed), stopped or
/// finished (the last step, loss and evaluations) and exports (where the files went). A
/// failure is logged by RunSession itself. GUI thread only.
class SessionLog : public QObject
{
    Q_OBJECT

public:
    /// Follows `session`, which must outlive this object.
    explicit SessionLog(RunSession &session, QObject *parent = nullptr);

    /// The paused run was steered from `before` to `after`.
    void steered(const train::SteerPoint &before, const train::SteerPoint &after);
    /// Run `runId` (`runName`) was exported: `files` into `folder`.
    void exported(qint64 runId, const QString &runName, const QString &folder,
                  const QStringList &files);

private:
    void ended(const QString &outcome);

    RunSession &m_session;
    std::optional<SessionProgress> m_last;
    std::map<QString, SessionEval> m_evals; ///< the latest of each split
};

} // namespace lathe::panels
