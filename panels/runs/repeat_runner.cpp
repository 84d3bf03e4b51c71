#include "panels/runs/repeat_runner.h"

#include "core/formats/atomic_file.h"
#include "core/train/stored_run.h"
#include "core/util/file_name.h"
#include "core/util/paths.h"
#include "panels/bridge/store_client.h"
#include "panels/common/cli_launcher.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>

#include <utility>

namespace lathe::panels {

namespace {

/// A run's name and its config as JSON text, read on the store thread.
using StoredSource = std::pair<std::string, std::string>;

} // namespace

RepeatRunner::RepeatRunner(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_store(store)
    , m_launcher(new CliLauncher(this))
    , m_status(new QLabel(this))
    , m_stop(new QPushButton(tr("Stop repeats"), this))
{
    setObjectName("repeatRunner");
    m_status->setObjectName("repeatStatus");
    m_status->setMinimumWidth(1); // a long message is cut rather than widening the window
    m_stop->setObjectName("repeatStop");
    m_stop->setToolTip(tr("Stop the repeat group: its running runs stop with a checkpoint (they "
                          "can be resumed) and no more start"));
    m_stop->hide();
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_status, 1);
    layout->addWidget(m_stop);
    hide();
    connect(m_stop, &QPushButton::clicked, this, &RepeatRunner::stop);
    connect(m_launcher, &CliLauncher::outputLine, this, &RepeatRunner::readLine);
    connect(m_launcher, &CliLauncher::failed, this,
            [this](const QString &message) { m_error = message; });
    connect(m_launcher, &CliLauncher::finished, this, &RepeatRunner::ended);
}

void RepeatRunner::setCliPath(const QString &path)
{
    m_launcher->setCliPath(path);
}

void RepeatRunner::repeat(const QList<qint64> &runIds, int count, int workers)
{
    for (const qint64 id : runIds)
        m_queue.append({id, count, workers});
    if (!isBusy())
        startNext();
    else
        showProgress();
}

void RepeatRunner::repeatConfig(const std::string &name, const std::string &configJson, int count,
                                int workers)
{
    m_queue.append({0, count, workers, name, configJson});
    if (!isBusy())
        startNext();
    else
        showProgress();
}

QString RepeatRunner::subject() const
{
    return m_current->runId != 0 ? tr("run %1").arg(m_current->runId)
                                 : QString::fromStdString(m_current->name);
}

void RepeatRunner::startNext()
{
    m_current.reset();
    if (m_queue.isEmpty())
        return;
    m_current = m_queue.takeFirst();
    m_group.clear();
    m_error.clear();
    m_started = m_ended = m_trained = 0;
    m_stopped = false;
    if (m_current->runId == 0)
        launch(m_current->name, m_current->configJson);
    else
        readAndLaunch(m_current->runId);
}

void RepeatRunner::readAndLaunch(qint64 id)
{
    showStatus(tr("Repeat ×%1 of %2: reading its config…").arg(m_current->count).arg(subject()));
    m_store.query(
        this,
        [id](track::RunStore &store) -> Result<StoredSource> {
            auto run = store.run(id);
            if (!run)
                return std::unexpected(run.error());
            auto config = train::storedConfig(*run);
            if (!config)
                return std::unexpected(config.error());
            return StoredSource{run->name, config->toJson().dump(2) + "\n"};
        },
        [this, id](const Result<StoredSource> &source) {
            if (!m_current || m_current->runId != id)
                return; // stopped meanwhile
            if (source) {
                launch(source->first, source->second);
            } else {
                m_error = QString::fromStdString(source.error().toString());
                ended(false);
            }
        });
}

void RepeatRunner::launch(const std::string &name, const std::string &configJson)
{
    const std::string file
        = util::safeFileName(name, "run") + "-"
          + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss").toStdString() + ".json";
    const auto path = util::dataDir() / "repeats" / file;
    if (auto written = formats::writeFileAtomically(path, configJson); !written) {
        m_error = tr("Cannot write the config to repeat: %1")
                      .arg(QString::fromStdString(written.error().toString()));
        ended(false);
        return;
    }
    m_launcher->start({"train", QString::fromStdString(path.string()), "--name",
                       QString::fromStdString(name), "--repeat", QString::number(m_current->count),
                       "--workers", QString::number(m_current->workers), "--db",
                       QString::fromStdString(m_store.path().string())});
    showProgress();
}

void RepeatRunner::readLine(const QString &line)
{
    // What `lathe-cli train --repeat` prints: the group first, a line as each run starts and
    // ends (its children's too, on the same stdout), and how the group ended.
    static const QRegularExpression group(QStringLiteral("^repeat group (\\S+): \\d+ runs"));
    static const QRegularExpression started(QStringLiteral("^run \\d+ \\("));
    static const QRegularExpression ended(QStringLiteral("^run \\d+: checkpoints"));
    static const QRegularExpression trained(
        QStringLiteral("^repeat group \\S+: (\\d+) of \\d+ runs finished"));
    static const QRegularExpression stopped(QStringLiteral("^repeat group \\S+: stopped"));
    if (const auto match = group.match(line); match.hasMatch() && m_group.isEmpty()) {
        m_group = match.captured(1);
        Q_EMIT groupNamed(m_current->runId, m_group);
    } else if (started.match(line).hasMatch()) {
        ++m_started;
    } else if (ended.match(line).hasMatch()) {
        ++m_ended;
    } else if (const auto count = trained.match(line); count.hasMatch()) {
        m_trained = count.captured(1).toInt();
    } else {
        m_stopped = m_stopped || stopped.match(line).hasMatch();
        return;
    }
    showProgress();
}

void RepeatRunner::ended(bool ok)
{
    if (!m_current)
        return;
    const Job job = *m_current;
    if (!m_error.isEmpty())
        showStatus(tr("Repeat of %1 failed: %2").arg(subject(), m_error), true);
    else if (m_stopped)
        showStatus(tr("Repeat group %1 stopped after starting %2 of %3 runs")
                       .arg(m_group)
                       .arg(m_started)
                       .arg(job.count));
    else
        showStatus(tr("Repeat group %1: %2 of %3 runs trained")
                       .arg(m_group)
                       .arg(m_trained)
                       .arg(job.count));
    m_stop->hide();
    Q_EMIT groupFinished(job.runId, m_group, ok && !m_stopped && m_trained == job.count);
    startNext();
}

void RepeatRunner::stop()
{
    m_queue.clear();
    if (m_launcher->isRunning()) {
        m_launcher->interrupt();
        showStatus(tr("Stopping the repeats: each running run finishes its step and writes a "
                      "checkpoint…"));
        return;
    }
    m_current.reset();
    m_stop->hide();
    showStatus(tr("Repeats stopped"));
}

void RepeatRunner::showProgress()
{
    if (!m_current)
        return;
    QString text = tr("Repeat ×%1 of %2: %3 of %1 runs started, %4 ended")
                       .arg(m_current->count)
                       .arg(subject())
                       .arg(m_started)
                       .arg(m_ended);
    if (!m_queue.isEmpty())
        text += tr(" · %n more queued", nullptr, int(m_queue.size()));
    showStatus(text);
    m_stop->show();
}

void RepeatRunner::showStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setToolTip(text);
    m_status->setStyleSheet(error ? QStringLiteral("QLabel { color: #c62828; }") : QString());
    show();
}

} // namespace lathe::panels
