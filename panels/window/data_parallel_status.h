#pragma once

#include <QObject>
#include <QString>

#include <optional>

namespace lathe::panels {

class StoreClient;

/// The latest per-worker figures of a data-parallel run, as rank 0 records them each step
/// (core/track/metric_keys.h: dist/step_time_mean, dist/step_time_max, dist/comm_seconds,
/// dist/comm_wait_seconds; in seconds) and its world size (param dist.world_size).
struct DataParallelFigures
{
    int worldSize = 1;
    std::optional<double> stepMean, stepMax, comm, commWait;

    /// "2 workers · step 28 ms (slowest 31 ms) · comm 6 ms" ("2 workers · waiting for the first
    /// step" before any); empty for a run of one process.
    QString text() const;
    /// What each figure is, in full ("mean step time of the workers 28.1 ms, ...").
    QString toolTip() const;
};

/// The status bar's line for a data-parallel run: the figures of one run (the window's active
/// run, else the one watched), read through the StoreClient each time poll() is called (the
/// window calls it when the Curves panel's own poll has been taken in, so no timer of its own)
/// and emitted when the text changes. A run found to have one process is not read again.
/// GUI thread only.
class DataParallelStatus : public QObject
{
    Q_OBJECT

public:
    explicit DataParallelStatus(StoreClient &store, QObject *parent = nullptr);

    /// Shows run `runId` (0: none) from the next poll on; emits changed("") at once when the
    /// run changes.
    void follow(qint64 runId);
    qint64 runId() const { return m_runId; }
    /// Reads the followed run's figures (skipped while a read is in flight or the run has one
    /// process).
    void poll();
    /// The last figures read (world size 1 before any).
    const DataParallelFigures &figures() const { return m_figures; }
    QString text() const { return m_figures.text(); }

Q_SIGNALS:
    /// The line to show (empty: none) and its tooltip.
    void changed(const QString &text, const QString &toolTip);

private:
    void apply(qint64 runId, const DataParallelFigures &figures);

    StoreClient &m_store;
    qint64 m_runId = 0;
    bool m_reading = false;
    bool m_single = false; ///< the followed run has one process: nothing to read
    DataParallelFigures m_figures;
};

} // namespace lathe::panels
