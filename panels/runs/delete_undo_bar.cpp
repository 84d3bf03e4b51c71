#include "panels/runs/delete_undo_bar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace lathe::panels {

DeleteUndoBar::DeleteUndoBar(QWidget *parent)
    : QFrame(parent)
    , m_label(new QLabel(this))
    , m_undo(new QPushButton(tr("Undo"), this))
{
    setObjectName(QStringLiteral("deleteUndoBar"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    m_undo->setObjectName(QStringLiteral("undoDeleteButton"));
    m_undo->setToolTip(tr("Bring the deleted runs back (Ctrl+Z)"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_undo);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &DeleteUndoBar::commit);
    connect(m_undo, &QPushButton::clicked, this, &DeleteUndoBar::undo);
    hide();
}

void DeleteUndoBar::start(const QList<qint64> &ids, const QString &text)
{
    commit();
    if (ids.isEmpty())
        return;
    m_pending = ids;
    m_label->setText(text);
    show();
    m_timer.start(m_window);
}

QString DeleteUndoBar::text() const
{
    return m_label->text();
}

QList<qint64> DeleteUndoBar::takePending()
{
    m_timer.stop();
    hide();
    return std::exchange(m_pending, {});
}

void DeleteUndoBar::commit()
{
    if (const auto ids = takePending(); !ids.isEmpty())
        Q_EMIT expired(ids);
}

void DeleteUndoBar::undo()
{
    if (const auto ids = takePending(); !ids.isEmpty())
        Q_EMIT undoRequested(ids);
}

} // namespace lathe::panels
