#include "panels/hyperparams/workers_field.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QThread>

#include <algorithm>

namespace lathe::panels {

WorkersField::WorkersField(QWidget *parent)
    : QWidget(parent)
    , m_spin(new QSpinBox(this))
    , m_note(new QLabel(this))
{
    const int cores = std::max(1, QThread::idealThreadCount());
    m_spin->setObjectName(QStringLiteral("workers"));
    m_spin->setRange(1, cores);
    m_spin->setValue(1);
    const QString tip
        = tr("Data-parallel training: how many worker processes train the next run together "
             "(1 to this machine's %1 cores). With more than 1, Start runs "
             "`lathe-cli train --nproc N` on this store: each worker trains on its share of "
             "every batch and gets cores / N threads (when Threads is 0), and the run's row, "
             "curves and status bar show each step's slowest and mean worker time. Pause is "
             "not available for such a run; Stop checkpoints it.")
              .arg(cores);
    auto *label = new QLabel(tr("&Workers:"), this);
    label->setBuddy(m_spin);
    label->setToolTip(tip);
    m_spin->setToolTip(tip);
    m_note->setObjectName(QStringLiteral("workersNote"));
    m_note->setToolTip(tip);
    m_note->setStyleSheet(QStringLiteral("QLabel { color: palette(mid); }"));
    auto *row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(label);
    row->addWidget(m_spin);
    row->addWidget(m_note, 1);
    connect(m_spin, &QSpinBox::valueChanged, this, [this](int value) {
        updateNote();
        Q_EMIT workersChanged(value);
    });
    updateNote();
}

int WorkersField::workers() const
{
    return m_spin->value();
}

void WorkersField::setWorkers(int workers)
{
    m_spin->setValue(std::clamp(workers, 1, maximum()));
}

int WorkersField::maximum() const
{
    return m_spin->maximum();
}

void WorkersField::updateNote()
{
    const int n = workers();
    const int threads = std::max(1, maximum() / n);
    if (n == 1)
        m_note->setText(tr("one process, in this window"));
    else
        m_note->setText(threads == 1
                            ? tr("%1 processes (lathe-cli), 1 thread each").arg(n)
                            : tr("%1 processes (lathe-cli), %2 threads each").arg(n).arg(threads));
}

} // namespace lathe::panels
