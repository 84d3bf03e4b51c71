#include "panels/window/data_parallel_status.h"

#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/track/run_summary.h"
#include "panels/bridge/store_client.h"

#include <algorithm>
#include <cmath>

namespace lathe::panels {

namespace {

/// "28 ms", "1.2 s"; "—" when absent or NaN.
QString milliseconds(const std::optional<double> &seconds, int digits = 0)
{
    if (!seconds || std::isnan(*seconds))
        return QStringLiteral("—");
    if (*seconds >= 1.0)
        return QStringLiteral("%1 s").arg(*seconds, 0, 'f', 2);
    return QStringLiteral("%1 ms").arg(*seconds * 1000.0, 0, 'f', digits);
}

/// The figures of run `runId`, read on the store thread.
Result<DataParallelFigures> readFigures(track::RunStore &store, qint64 runId)
{
    DataParallelFigures figures;
    auto params = store.params(runId);
    if (!params)
        return std::unexpected(params.error());
    for (const auto &[key, value] : *params)
        if (key == "dist.world_size")
            figures.worldSize = std::max(1, int(track::parseNumber(value).value_or(1)));
    if (figures.worldSize == 1)
        return figures;
    namespace keys = track::keys;
    const std::pair<std::string_view, std::optional<double> DataParallelFigures::*> series[]{
        {keys::kDistStepTimeMean, &DataParallelFigures::stepMean},
        {keys::kDistStepTimeMax, &DataParallelFigures::stepMax},
        {keys::kDistCommSeconds, &DataParallelFigures::comm},
        {keys::kDistCommWaitSeconds, &DataParallelFigures::commWait}};
    for (const auto &[key, field] : series) {
        auto last = store.lastMetric(runId, key);
        if (!last)
            return std::unexpected(last.error());
        figures.*field = *last;
    }
    return figures;
}

} // namespace

QString DataParallelFigures::text() const
{
    if (worldSize <= 1)
        return {};
    const QString workers = QObject::tr("%1 workers").arg(worldSize);
    if (!stepMean && !stepMax)
        return QObject::tr("%1 · waiting for the first step").arg(workers);
    return QObject::tr("%1 · step %2 (slowest %3) · comm %4")
        .arg(workers, milliseconds(stepMean), milliseconds(stepMax), milliseconds(comm));
}

QString DataParallelFigures::toolTip() const
{
    if (worldSize <= 1)
        return {};
    return QObject::tr("Data parallel, %1 worker processes. Last step: the workers' mean step "
                       "time %2, the slowest worker's %3 (a straggler is the gap); gradient "
                       "reduction %4, of which %5 waited after backward (not hidden behind it).")
        .arg(worldSize)
        .arg(milliseconds(stepMean, 1), milliseconds(stepMax, 1), milliseconds(comm, 1),
             milliseconds(commWait, 1));
}

DataParallelStatus::DataParallelStatus(StoreClient &store, QObject *parent)
    : QObject(parent)
    , m_store(store)
{
}

void DataParallelStatus::follow(qint64 runId)
{
    if (runId == m_runId)
        return;
    m_runId = runId;
    m_single = false;
    const bool shown = !m_figures.text().isEmpty();
    m_figures = {};
    if (shown)
        Q_EMIT changed({}, {});
    poll();
}

void DataParallelStatus::poll()
{
    if (m_runId == 0 || m_single || m_reading)
        return;
    m_reading = true;
    const qint64 id = m_runId;
    m_store.query(
        this, [id](track::RunStore &store) { return readFigures(store, id); },
        [this, id](const Result<DataParallelFigures> &figures) {
            m_reading = false;
            if (figures)
                apply(id, *figures);
        });
}

void DataParallelStatus::apply(qint64 runId, const DataParallelFigures &figures)
{
    if (runId != m_runId)
        return; // another run is followed since
    m_single = figures.worldSize <= 1;
    const QString before = m_figures.text();
    const QString tipBefore = m_figures.toolTip();
    m_figures = figures;
    if (m_figures.text() != before || m_figures.toolTip() != tipBefore)
        Q_EMIT changed(m_figures.text(), m_figures.toolTip());
}

} // namespace lathe::panels
