#include "panels/runs/repeat_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>

namespace lathe::panels {

RepeatDialog::RepeatDialog(const QString &what, QWidget *parent)
    : QDialog(parent)
    , m_count(new QSpinBox(this))
    , m_workers(new QSpinBox(this))
{
    setObjectName("repeatDialog");
    setWindowTitle(tr("Repeat ×N"));
    // The bounds of `lathe-cli train --repeat N --workers K`.
    m_count->setObjectName("repeatCount");
    m_count->setRange(2, 1000);
    m_count->setValue(5);
    m_count->setToolTip(tr("Runs in the group, seeds from the run's own up; 5 make a useful "
                           "A/B test"));
    m_workers->setObjectName("repeatWorkers");
    m_workers->setRange(1, 64);
    m_workers->setValue(1);
    m_workers->setToolTip(tr("Runs trained at once, each in its own process (this machine has "
                             "%n core(s): each run uses several)",
                             nullptr, QThread::idealThreadCount()));
    auto *intro = new QLabel(tr("Train the config of %1 N times, seeds from its own up, as one "
                                "repeat group that Compare A/B… takes as one side.")
                                 .arg(what),
                             this);
    intro->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Repeat"));
    buttons->button(QDialogButtonBox::Ok)->setObjectName("repeatOk");
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *form = new QFormLayout(this);
    form->addRow(intro);
    form->addRow(tr("Runs (N):"), m_count);
    form->addRow(tr("At once (K):"), m_workers);
    form->addRow(buttons);
}

int RepeatDialog::count() const
{
    return m_count->value();
}

int RepeatDialog::workers() const
{
    return m_workers->value();
}

} // namespace lathe::panels
