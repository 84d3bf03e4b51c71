#include "panels/window/steer_dialog.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

QDoubleSpinBox *spinBox(double lo, double hi, double step, int decimals, double value,
                        QWidget *parent)
{
    auto *box = new QDoubleSpinBox(parent);
    box->setRange(lo, hi);
    box->setSingleStep(step);
    box->setDecimals(decimals);
    box->setValue(value);
    return box;
}

} // namespace

SteerDialog::SteerDialog(const train::SteerPoint &current, double scheduledLr, QWidget *parent)
    : QDialog(parent)
    , m_scheduledLr(scheduledLr)
{
    setWindowTitle(tr("Steer the paused run"));
    m_lrScale = spinBox(0.001, 100, 0.1, 3, current.lrScale, this);
    m_lrScale->setObjectName(QStringLiteral("steerLrScale"));
    m_weightDecay = spinBox(0, 10, 0.01, 4, current.weightDecay, this);
    m_weightDecay->setObjectName(QStringLiteral("steerWeightDecay"));
    m_augment = spinBox(0, 4, 0.25, 2, current.augmentStrength, this);
    m_augment->setObjectName(QStringLiteral("steerAugment"));
    m_lrHint = new QLabel(this);
    connect(m_lrScale, &QDoubleSpinBox::valueChanged, this, &SteerDialog::updateLrHint);
    updateLrHint();

    auto *intro = new QLabel(tr("The run goes on with these values when it resumes. The change "
                                "is stored with the run and marked on its curves."),
                             this);
    intro->setWordWrap(true);
    auto *form = new QFormLayout;
    form->addRow(tr("Learning-rate multiplier:"), m_lrScale);
    form->addRow(QString(), m_lrHint);
    form->addRow(tr("Weight decay:"), m_weightDecay);
    form->addRow(tr("Augmentation strength:"), m_augment);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Apply"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(buttons);
}

train::SteerPoint SteerDialog::change() const
{
    return {0, m_lrScale->value(), m_weightDecay->value(), m_augment->value()};
}

void SteerDialog::updateLrHint()
{
    m_lrHint->setText(tr("learning rate now: %1 × %2 = %3 (the schedule goes on from there)")
                          .arg(m_scheduledLr, 0, 'g', 3)
                          .arg(m_lrScale->value(), 0, 'g', 3)
                          .arg(m_scheduledLr * m_lrScale->value(), 0, 'g', 3));
}

} // namespace lathe::panels
