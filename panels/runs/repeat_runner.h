#pragma once

#include <QList>
#include <QString>
#include <QWidget>

#include <optional>
#include <string>

class QLabel;
class QPushButton;

namespace lathe::panels {

class CliLauncher;
class StoreClient;

/// "Repeat ×N": trains a stored run's config (or one given whole: the form's) N times, seeds
/// from its own up, as one repeat group (`lathe-cli train FILE --repeat N --workers K --db STORE`,
/// run as the window's child process by a CliLauncher). The config is read through the StoreClient
/// (train::storedConfig, on the store thread) and written atomically under
/// util::dataDir()/repeats/; the runs are stored as they train, so the Runs panel lists them live.
/// One group at a time: further requests wait their turn. The widget itself is the status-bar line:
/// the progress ("run 2 of 5 training"), Stop (SIGINT: the running runs stop with a checkpoint and
/// no more start) and, after a failure, its message in red. GUI thread only; destroying it stops
/// its process.
class RepeatRunner : public QWidget
{
    Q_OBJECT

public:
    explicit RepeatRunner(StoreClient &store, QWidget *parent = nullptr);

    /// Uses `path` as lathe-cli instead of the one beside the executable (tests).
    void setCliPath(const QString &path);
    /// Queues a repeat group of `count` runs for each of `runIds`, `workers` at a time.
    void repeat(const QList<qint64> &runIds, int count, int workers);
    /// Queues a repeat group of `count` runs of `configJson` (a whole run config, as the
    /// Hyperparameters form holds it), named `name`-r1, `name`-r2, ...
    void repeatConfig(const std::string &name, const std::string &configJson, int count,
                      int workers);
    /// A group is being prepared or trained.
    bool isBusy() const { return m_current.has_value(); }

Q_SIGNALS:
    /// lathe-cli named the group the repeats of `runId` are tagged with ("repeat:<group>").
    void groupNamed(qint64 runId, const QString &group);
    /// The group of `runId` (0 for a config given whole) is over: every run trained (`ok`), or it
    /// stopped or failed.
    void groupFinished(qint64 runId, const QString &group, bool ok);

private:
    struct Job
    {
        qint64 runId = 0; ///< 0: the config is given whole
        int count = 0;
        int workers = 1;
        std::string name{}, configJson{}; ///< when runId is 0
    };

    void startNext();
    /// Reads run `id`'s name and stored config on the store thread, then launches.
    void readAndLaunch(qint64 id);
    /// "run 7", or the name of a config given whole.
    QString subject() const;
    /// Writes the config and starts lathe-cli on it.
    void launch(const std::string &name, const std::string &configJson);
    void readLine(const QString &line);
    void ended(bool ok);
    void stop();
    void showStatus(const QString &text, bool error = false);
    void showProgress();

    StoreClient &m_store;
    CliLauncher *m_launcher = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_stop = nullptr;
    QList<Job> m_queue;
    std::optional<Job> m_current; ///< the group being prepared or trained
    QString m_group;              ///< its name, once lathe-cli said it
    QString m_error;              ///< why it failed, once it did
    int m_started = 0;            ///< its runs started so far
    int m_ended = 0;              ///< and those that ended (trained or stopped)
    int m_trained = 0;            ///< the runs trained to the end, as lathe-cli counts at its end
    bool m_stopped = false;       ///< lathe-cli said the group stopped
};

} // namespace lathe::panels
