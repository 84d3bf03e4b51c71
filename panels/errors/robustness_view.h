#pragma once

#include "panels/bridge/inspect_types.h"

#include <QList>
#include <QPointF>
#include <QWidget>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace lathe::panels {

class InspectSession;
class RobustnessCurve;

/// The Errors panel's Robustness tab: a checkpoint's accuracy under PGD at a list of epsilons
/// (pixel units; 0 is the clean accuracy) on the first N test samples, as a table and an
/// accuracy-vs-epsilon curve. Attack runs it on the session's pool (InspectSession::
/// computeRobustness, with progress and Cancel), which also stores it as the run's
/// "robustness" event. Parts by object name: "robustness-<part>" (eps, steps, limit, attack,
/// cancel, progress, status, table, curve). GUI thread only.
class RobustnessView : public QWidget
{
    Q_OBJECT

public:
    RobustnessView(InspectSession &session, QWidget *parent = nullptr);

    /// The checkpoint Attack evaluates; runId 0 clears the view and turns Attack off.
    void setKey(const InspectKey &key);
    /// (epsilon, accuracy) of the last evaluation, ascending; empty before one finished.
    const QList<QPointF> &points() const { return m_points; }
    bool isComputing() const { return m_computeId != 0; }

public Q_SLOTS:
    void compute();
    void cancel();

Q_SIGNALS:
    /// An evaluation finished, failed or was cancelled (see "robustness-status").
    void computeFinished();

private:
    void buildUi();
    void connectSession();
    void onReady(quint64 id, const QList<QPointF> &points, qint64 samples);
    void onEnded(quint64 id, const QString &message);
    void setComputing(bool on);

    InspectSession &m_session;
    InspectKey m_key{0, {}};
    quint64 m_computeId = 0;
    QList<QPointF> m_points;

    QLineEdit *m_eps = nullptr;
    QSpinBox *m_steps = nullptr;
    QSpinBox *m_limit = nullptr;
    QPushButton *m_attack = nullptr;
    QPushButton *m_cancel = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QTableWidget *m_table = nullptr;
    RobustnessCurve *m_curve = nullptr;
};

} // namespace lathe::panels
