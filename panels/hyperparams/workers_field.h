#pragma once

#include <QWidget>

class QLabel;
class QSpinBox;

namespace lathe::panels {

/// "Workers: N" of the Hyperparameters panel: how many local processes train the next run
/// (data parallel, issue 18), from 1 to the machine's cores. It is not part of the run config:
/// with N > 1 the window runs `lathe-cli train CONFIG --nproc N` as a child process, each worker
/// taking cores / N threads when the config's Threads is 0 (docs/data-parallel.md); with 1 the
/// run trains in the window as before. A note beside the box says which. GUI thread only.
class WorkersField : public QWidget
{
    Q_OBJECT

public:
    explicit WorkersField(QWidget *parent = nullptr);

    int workers() const;
    /// Sets the count (clamped to 1 .. maximum()).
    void setWorkers(int workers);
    /// The machine's cores: the largest count offered.
    int maximum() const;

Q_SIGNALS:
    void workersChanged(int workers);

private:
    void updateNote();

    QSpinBox *m_spin = nullptr;
    QLabel *m_note = nullptr;
};

} // namespace lathe::panels
