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
class StoreClient;

/// The Errors panel's Robustness tab: a checkpoint's accuracy under PGD at a list of epsilons
/// (pixel units; 0 is the clean accuracy) on the first N test samples, as a table and an
/// accuracy-vs-epsilon curve. Attack runs it on the session's pool (InspectSession::
/// computeRobustness, with progress and Cancel), which also stores it as the run's
/// "robustness" event. A checkpoint with a stored result (from Attack or `lathe-cli
/// robustness`) shows its latest one when the key is set (read through the StoreClient), until
/// Attack replaces it. Parts by object name: "robustness-<part>" (eps, steps, limit, attack,
/// cancel, progress, status, table, curve). GUI thread only.
class RobustnessView : public QWidget
{
    Q_OBJECT

public:
    RobustnessView(InspectSession &session, StoreClient &store, QWidget *parent = nullptr);

    /// The checkpoint Attack evaluates; runId 0 clears the view and turns Attack off. Shows the
    /// checkpoint's latest stored result, if any (storedLoaded() when read).
    void setKey(const InspectKey &key);
    /// (epsilon, accuracy) of the last evaluation or of the stored one shown, ascending; empty
    /// before either.
    const QList<QPointF> &points() const { return m_points; }
    bool isComputing() const { return m_computeId != 0; }

public Q_SLOTS:
    void compute();
    void cancel();

Q_SIGNALS:
    /// An evaluation finished, failed or was cancelled (see "robustness-status").
    void computeFinished();
    /// The stored result of the key set last was read (`found`: there was one, now shown).
    void storedLoaded(bool found);

private:
    void buildUi();
    void connectSession();
    void onReady(quint64 id, const QList<QPointF> &points, qint64 samples);
    void loadStored();
    void showPoints(const QList<QPointF> &points);
    void onEnded(quint64 id, const QString &message);
    void setComputing(bool on);

    InspectSession &m_session;
    StoreClient &m_store;
    InspectKey m_key{0, {}};
    quint64 m_keySerial
        = 0; ///< counts setKey(), so a stored result read for an older key is dropped
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
