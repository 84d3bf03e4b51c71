#pragma once

#include <QWidget>

class QLabel;

namespace lathe::panels {

class StoreClient;

/// The Runs panel's "Environment" tab: where the current run ran, as it recorded it with each
/// attempt (core/train/run_environment.h): Lathe, LibTorch and its build, CPU and its vector
/// extensions, threads, GPU, OS, host and the SHA-256 of each data file; an earlier attempt
/// that ran elsewhere is named with what differed. Read through the StoreClient (one query per
/// run shown; a newer showRun() supersedes one in flight). Its label is "runEnvironment".
/// GUI thread only.
class RunEnvironmentView : public QWidget
{
    Q_OBJECT

public:
    explicit RunEnvironmentView(StoreClient &store, QWidget *parent = nullptr);

    /// Shows run `runId`'s environment (0: none).
    void showRun(qint64 runId);
    qint64 runId() const { return m_runId; }
    /// The text shown (plain), for tests.
    QString text() const;

Q_SIGNALS:
    /// The run's environment was read and is on screen.
    void shown();

private:
    StoreClient &m_store;
    QLabel *m_label = nullptr;
    qint64 m_runId = 0;
    quint64 m_generation = 0;
};

} // namespace lathe::panels
