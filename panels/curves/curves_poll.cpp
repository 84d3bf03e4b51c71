#include "panels/curves/curves_poll.h"

#include <cmath>
#include <optional>

namespace lathe::panels {

void CurveSamples::append(const track::MetricRow &row)
{
    step.push_back(double(row.step));
    epoch.push_back(row.epoch);
    wallTime.push_back(row.wallTime);
    value.push_back(row.value);
}

void CurveSamples::append(const CurveSamples &rows)
{
    step.insert(step.end(), rows.step.begin(), rows.step.end());
    epoch.insert(epoch.end(), rows.epoch.begin(), rows.epoch.end());
    wallTime.insert(wallTime.end(), rows.wallTime.begin(), rows.wallTime.end());
    value.insert(value.end(), rows.value.begin(), rows.value.end());
}

namespace {

// A whole series: three fast packed reads (one per x column) that must agree; rows committed
// between them make them differ, and then the read is tried again.
Result<SeriesUpdate> readWhole(track::RunStore &store, std::int64_t runId, int key,
                               const std::string &name)
{
    for (int attempt = 0; attempt < 3; ++attempt) {
        std::int64_t stepId = 0, epochId = 0, wallId = 0;
        auto steps = store.seriesXY(runId, name, track::SeriesX::Step, &stepId);
        auto epochs = store.seriesXY(runId, name, track::SeriesX::Epoch, &epochId);
        auto walls = store.seriesXY(runId, name, track::SeriesX::WallTime, &wallId);
        for (const auto *r : {&steps, &epochs, &walls})
            if (!*r)
                return std::unexpected(r->error());
        if (stepId != epochId || stepId != wallId || steps->size() != walls->size()
            || steps->size() != epochs->size())
            continue;
        SeriesUpdate update{key, true, {}, 0, stepId};
        CurveSamples &rows = update.rows;
        const std::size_t n = steps->size();
        rows.step.resize(n);
        rows.epoch.resize(n);
        rows.wallTime.resize(n);
        rows.value.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            rows.step[i] = (*steps)[i].x;
            rows.value[i] = (*steps)[i].y;
            rows.epoch[i] = (*epochs)[i].x;
            rows.wallTime[i] = (*walls)[i].x;
        }
        return update;
    }
    // A run writing very fast: fall back to one consistent row-by-row read.
    auto all = store.metricSeries(runId, name, 0);
    if (!all)
        return std::unexpected(all.error());
    SeriesUpdate update{key, true, {}, 0, all->empty() ? 0 : all->back().id};
    for (const auto &row : *all)
        update.rows.append(row);
    return update;
}

bool sameValue(double a, double b)
{
    return a == b || (std::isnan(a) && std::isnan(b));
}

// The rows after the cursor, read together with the last row the panel holds: when that row
// is gone or changed, the run was resumed from a checkpoint (its later rows deleted, and their
// ids possibly reused by the rows written again), and the whole series is read again.
Result<std::optional<SeriesUpdate>> readSeries(track::RunStore &store, std::int64_t runId,
                                               const SeriesCursor &cursor)
{
    const bool whole = cursor.lastId == 0;
    std::vector<track::MetricRow> rows;
    if (!whole) {
        auto read = store.metricSeries(runId, cursor.name, cursor.lastId - 1);
        if (!read)
            return std::unexpected(read.error());
        rows = std::move(*read);
    }
    const bool held = !rows.empty() && rows.front().id == cursor.lastId
                      && double(rows.front().step) == cursor.lastStep
                      && sameValue(rows.front().wallTime, cursor.lastWallTime);
    if (whole || !held || (rows.size() > 1 && double(rows[1].step) <= cursor.lastStep)) {
        auto all = readWhole(store, runId, cursor.key, cursor.name);
        if (!all)
            return std::unexpected(all.error());
        if (whole && all->rows.size() == 0)
            return std::optional<SeriesUpdate>();
        return std::optional(std::move(*all));
    }
    if (rows.size() == 1)
        return std::optional<SeriesUpdate>();
    SeriesUpdate update{cursor.key, false, {}, cursor.lastId, rows.back().id};
    for (std::size_t i = 1; i < rows.size(); ++i)
        update.rows.append(rows[i]);
    return std::optional(std::move(update));
}

Result<RunUpdate> pollRun(track::RunStore &store, const RunPoll &poll)
{
    RunUpdate update;
    update.runId = poll.runId;
    // Read every time, so that a rename or a deletion shows.
    auto info = store.run(poll.runId);
    if (!info && info.error().code == ErrorCode::NotFound) {
        update.missing = true;
        return update;
    }
    if (!info)
        return std::unexpected(info.error());
    update.name = std::move(info->name);
    auto events = store.events(poll.runId);
    if (!events)
        return std::unexpected(events.error());
    for (auto &event : *events)
        if (event.id > poll.lastEventId)
            update.events.push_back(std::move(event));
    // A loose index scan, one seek per key: cheap enough to list new metrics on every poll.
    auto keys = store.metricKeys(poll.runId);
    if (!keys)
        return std::unexpected(keys.error());
    update.keys = std::move(*keys);
    for (const auto &cursor : poll.series) {
        auto series = readSeries(store, poll.runId, cursor);
        if (!series)
            return std::unexpected(series.error());
        if (*series)
            update.series.push_back(std::move(**series));
    }
    return update;
}

} // namespace

Result<std::vector<RunUpdate>> pollCurves(track::RunStore &store, const std::vector<RunPoll> &polls)
{
    std::vector<RunUpdate> updates;
    updates.reserve(polls.size());
    for (const auto &poll : polls) {
        auto update = pollRun(store, poll);
        if (!update)
            return std::unexpected(update.error());
        updates.push_back(std::move(*update));
    }
    return updates;
}

} // namespace lathe::panels
