#pragma once

#include <QPlainTextEdit>
#include <QTimer>

namespace lathe::panels {

/// The notes of the current run. Edits are reported by notesEdited after a pause in typing
/// (~0.8 s), when the editor loses focus, and before it switches to another run, so nothing
/// typed is lost. Disabled (with a hint) while no run is current. GUI thread only.
class RunNotesEditor : public QPlainTextEdit
{
    Q_OBJECT

public:
    explicit RunNotesEditor(QWidget *parent = nullptr);

    /// Shows run `id`'s `notes` (id 0: none); reports pending edits of the previous run first.
    void setRun(qint64 id, const QString &notes);
    /// Shows newer stored notes of the current run unless the user is editing them.
    void updateStoredNotes(const QString &notes);
    qint64 runId() const { return m_runId; }
    /// Reports pending edits now.
    void flush();
    /// Pause in typing after which edits are reported, in ms.
    void setSaveDelay(int ms) { m_save.setInterval(ms); }

Q_SIGNALS:
    void notesEdited(qint64 runId, const QString &notes);

protected:
    void focusOutEvent(QFocusEvent *event) override;

private:
    QTimer m_save;
    qint64 m_runId = 0;
    bool m_dirty = false;
    bool m_loading = false;
};

} // namespace lathe::panels
