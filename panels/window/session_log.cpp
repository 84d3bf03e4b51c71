#include "panels/window/session_log.h"

#include <spdlog/spdlog.h>

#include <QStringList>

#include <cmath>

namespace lathe::panels {

namespace {

void info(const QString &line)
{
    spdlog::info("{}", line.toStdString());
}

} // namespace

SessionLog::SessionLog(RunSession &session, QObject *parent)
    : QObject(parent)
    , m_session(session)
{
    connect(&session, &RunSession::runCreated, this, [this](qint64 runId) {
        m_last.reset();
        m_evals.clear();
        info(tr("run %1 started").arg(runId));
    });
    connect(&session, &RunSession::progress, this,
            [this](const SessionProgress &p) { m_last = p; });
    connect(&session, &RunSession::evaluated, this,
            [this](const SessionEval &eval) { m_evals[eval.split] = eval; });
    connect(&session, &RunSession::noted, this, [this](const QString &kind, qint64 step) {
        if (kind == "paused" || kind == "resumed")
            info(tr("run %1 %2 at step %3").arg(m_session.runId()).arg(kind).arg(step));
    });
    connect(&session, &RunSession::finished, this, &SessionLog::ended);
}

void SessionLog::ended(const QString &outcome)
{
    QStringList parts;
    if (m_last)
        parts << tr("step %1 of %2").arg(m_last->step).arg(m_last->totalSteps);
    if (m_last && std::isfinite(m_last->loss))
        parts << tr("loss %1").arg(m_last->loss, 0, 'f', 4);
    for (const auto &[split, eval] : m_evals)
        parts << tr("%1 accuracy %2 (epoch %3)")
                     .arg(split)
                     .arg(eval.accuracy, 0, 'f', 4)
                     .arg(eval.epoch);
    info(tr("run %1 %2").arg(m_session.runId()).arg(outcome)
         + (parts.isEmpty() ? QString() : ": " + parts.join(", ")));
}

void SessionLog::steered(const train::SteerPoint &before, const train::SteerPoint &after)
{
    QStringList changes;
    const auto change = [&changes](const QString &what, double from, double to) {
        if (from != to)
            changes << tr("%1 %2 → %3").arg(what).arg(from).arg(to);
    };
    change(tr("learning-rate scale"), before.lrScale, after.lrScale);
    change(tr("weight decay"), before.weightDecay, after.weightDecay);
    change(tr("augmentation strength"), before.augmentStrength, after.augmentStrength);
    info(tr("run %1 steered at step %2: %3")
             .arg(m_session.runId())
             .arg(m_last ? m_last->step : after.step)
             .arg(changes.isEmpty() ? tr("nothing changed") : changes.join(", ")));
}

void SessionLog::exported(qint64 runId, const QString &runName, const QString &folder,
                          const QStringList &files)
{
    info(tr("run %1 (%2) exported to %3: %4").arg(runId).arg(runName, folder, files.join(", ")));
}

} // namespace lathe::panels
