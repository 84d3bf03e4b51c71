#pragma once

#include <QDialog>

class QSpinBox;

namespace lathe::panels {

/// "Repeat ×N…": asks how many times to train a run's config (N, seeds from its own up) and how
/// many of those runs train at once (K child processes). GUI thread only.
class RepeatDialog : public QDialog
{
    Q_OBJECT

public:
    /// `what` names whose config is repeated ("run 7", "the form (mlp)").
    explicit RepeatDialog(const QString &what, QWidget *parent = nullptr);

    int count() const;
    int workers() const;

private:
    QSpinBox *m_count = nullptr;
    QSpinBox *m_workers = nullptr;
};

} // namespace lathe::panels
