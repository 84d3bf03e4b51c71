#pragma once

#include <QFrame>
#include <QList>
#include <QTimer>

class QLabel;
class QPushButton;

namespace lathe::panels {

/// The "Deleted 'name' — Undo" bar of a pending delete. start() shows it for the undo window;
/// Undo emits undoRequested, the window's end (or commit()) emits expired: only then is the
/// delete carried out. A new start() commits the delete still pending. GUI thread only.
class DeleteUndoBar : public QFrame
{
    Q_OBJECT

public:
    explicit DeleteUndoBar(QWidget *parent = nullptr);

    /// How long Undo stays offered (default 10 s).
    void setUndoWindow(int ms) { m_window = ms; }
    int undoWindow() const { return m_window; }
    /// Shows the bar for the runs `ids`, described by `text`.
    void start(const QList<qint64> &ids, const QString &text);
    /// Ends the undo window now (emits expired for the pending runs, if any).
    void commit();
    /// Undoes the pending delete now (emits undoRequested, if one is pending).
    void undo();
    bool isPending() const { return !m_pending.isEmpty(); }
    QString text() const;

Q_SIGNALS:
    void undoRequested(const QList<qint64> &ids);
    void expired(const QList<qint64> &ids);

private:
    QList<qint64> takePending();

    QLabel *m_label = nullptr;
    QPushButton *m_undo = nullptr;
    QTimer m_timer;
    QList<qint64> m_pending;
    int m_window = 10000;
};

} // namespace lathe::panels
