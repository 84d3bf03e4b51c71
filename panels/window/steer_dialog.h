#pragma once

#include "core/train/steering.h"

#include <QDialog>

class QDoubleSpinBox;
class QLabel;

namespace lathe::panels {

/// Asks for a steering change of a paused run: a multiplier on the learning-rate schedule,
/// the weight decay, and the augmentation strength, starting from the values in effect (spin
/// boxes "steerLrScale", "steerWeightDecay", "steerAugment").
class SteerDialog : public QDialog
{
    Q_OBJECT

public:
    SteerDialog(const train::SteerPoint &current, double scheduledLr, QWidget *parent = nullptr);

    /// The change as entered (step is left 0: the trainer sets it).
    train::SteerPoint change() const;

private:
    void updateLrHint();

    QDoubleSpinBox *m_lrScale = nullptr;
    QDoubleSpinBox *m_weightDecay = nullptr;
    QDoubleSpinBox *m_augment = nullptr;
    QLabel *m_lrHint = nullptr;
    double m_scheduledLr = 0;
};

} // namespace lathe::panels
