#include "panels/runs/run_notes_editor.h"

namespace lathe::panels {

RunNotesEditor::RunNotesEditor(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setObjectName(QStringLiteral("runNotes"));
    m_save.setSingleShot(true);
    m_save.setInterval(800);
    connect(&m_save, &QTimer::timeout, this, &RunNotesEditor::flush);
    connect(this, &QPlainTextEdit::textChanged, this, [this] {
        if (m_loading || m_runId == 0)
            return;
        m_dirty = true;
        m_save.start();
    });
    setRun(0, {});
}

void RunNotesEditor::setRun(qint64 id, const QString &notes)
{
    if (id == m_runId && m_dirty)
        return;
    flush();
    m_runId = id;
    m_loading = true;
    setPlainText(notes);
    m_loading = false;
    setEnabled(id != 0);
    setPlaceholderText(id != 0 ? tr("Notes about this run: what you tried, what you saw…")
                               : tr("Select a run to read or write its notes."));
}

void RunNotesEditor::updateStoredNotes(const QString &notes)
{
    if (m_dirty || hasFocus() || notes == toPlainText())
        return;
    m_loading = true;
    setPlainText(notes);
    m_loading = false;
}

void RunNotesEditor::flush()
{
    m_save.stop();
    if (!m_dirty)
        return;
    m_dirty = false;
    Q_EMIT notesEdited(m_runId, toPlainText());
}

void RunNotesEditor::focusOutEvent(QFocusEvent *event)
{
    flush();
    QPlainTextEdit::focusOutEvent(event);
}

} // namespace lathe::panels
