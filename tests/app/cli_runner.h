// Runs the built lathe-cli as a user would, in a folder of its own: its data folder
// (XDG_DATA_HOME, so its log file) and its store ($LATHE_DB) live there.
#pragma once

#include "core/track/run_store.h"

#include <QJsonDocument>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <csignal>
#include <memory>
#include <sys/resource.h>

namespace lathe::testing {

/// The default experiment's config, in the source tree.
inline const QString kConfig = QStringLiteral(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");

struct Outcome
{
    int exitCode = -1;
    QString out, err;
    /// Standard output read as JSON (for the commands' --json).
    QJsonDocument json() const { return QJsonDocument::fromJson(out.toUtf8()); }
};

class Cli
{
public:
    explicit Cli(const QString &dir)
        : m_dir(dir)
    {
    }
    QString db() const { return m_dir + "/lathe.db"; }

    /// The store's run rows, read directly (milliseconds where `lathe-cli runs` starts a process
    /// for a second, and safe while another process writes); -1 while there is no store.
    int storedRuns() const
    {
        auto store = track::RunStore::openForReading(db().toStdString());
        if (!store)
            return -1;
        auto listed = (*store)->listRuns({});
        return listed ? int(listed->size()) : -1;
    }

    /// `maxFileBytes` > 0: the process may write no file larger (RLIMIT_FSIZE), as on a disk
    /// that fills; a write past it fails with EFBIG instead of raising SIGXFSZ.
    QProcess *start(QStringList args, rlim_t maxFileBytes = 0)
    {
        auto *process = new QProcess;
        if (maxFileBytes > 0)
            process->setChildProcessModifier([maxFileBytes] {
                const rlimit limit{maxFileBytes, maxFileBytes};
                ::setrlimit(RLIMIT_FSIZE, &limit);
                ::signal(SIGXFSZ, SIG_IGN);
            });
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_DATA_HOME", m_dir + "/data");
        env.insert("LATHE_DB", db());
        process->setProcessEnvironment(env);
        process->start(LATHE_CLI_PATH, args);
        return process;
    }

    Outcome run(const QStringList &args, int timeoutMs = 120000, rlim_t maxFileBytes = 0)
    {
        std::unique_ptr<QProcess> process(start(args, maxFileBytes));
        if (!process->waitForFinished(timeoutMs))
            qFatal("lathe-cli %s did not finish", qPrintable(args.join(' ')));
        return {process->exitCode(), process->readAllStandardOutput(),
                process->readAllStandardError()};
    }

private:
    QString m_dir;
};

} // namespace lathe::testing
