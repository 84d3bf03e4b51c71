#include "panels/curves/curve_set.h"

#include "core/track/metric_keys.h"
#include "panels/common/run_colour.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace lathe::panels {

namespace {

constexpr double kLineBreak = std::numeric_limits<double>::quiet_NaN(); // a y that breaks a line

bool isMarked(const std::string &kind)
{
    return kind == "steered" || kind == "lr_reduced";
}

// "steered: lr×0.5, wd 0.01" from the event's payload.
QString markerLabel(const track::EventRow &event)
{
    const auto payload = nlohmann::json::parse(event.payloadJson, nullptr, false);
    QStringList parts;
    if (payload.is_object()) {
        for (const auto &[key, value] : payload.items()) {
            if (key == "step" || !value.is_number())
                continue;
            const QString v = QString::number(value.get<double>(), 'g', 4);
            if (key == "lr_scale" || key == "scale")
                parts << QStringLiteral("lr×") + v;
            else if (key == "weight_decay")
                parts << QStringLiteral("wd ") + v;
            else if (key == "augment_strength")
                parts << QStringLiteral("aug×") + v;
            else
                parts << QString::fromStdString(key) + QLatin1Char('=') + v;
        }
    }
    const QString kind = event.kind == "lr_reduced" ? QStringLiteral("LR reduced")
                                                    : QString::fromStdString(event.kind);
    return parts.isEmpty() ? kind : kind + QStringLiteral(": ") + parts.join(QStringLiteral(", "));
}

} // namespace

bool CurveSet::isSmoothable(int key)
{
    return key == TrainLoss || key == TrainAccuracy || key == SamplesPerSec;
}

bool CurveSet::setRuns(const std::vector<std::int64_t> &runIds)
{
    if (runIds == this->runIds())
        return false;
    std::vector<Run> kept;
    kept.reserve(runIds.size());
    for (auto id : runIds) {
        auto it
            = std::find_if(m_runs.begin(), m_runs.end(), [&](const Run &r) { return r.id == id; });
        if (it != m_runs.end()) {
            kept.push_back(std::move(*it));
            m_runs.erase(it);
            continue;
        }
        Run run;
        run.id = id;
        run.series.resize(m_keys.size());
        run.name = QStringLiteral("run %1").arg(id);
        kept.push_back(std::move(run));
    }
    m_runs = std::move(kept);
    return true;
}

std::vector<std::int64_t> CurveSet::runIds() const
{
    std::vector<std::int64_t> ids;
    for (const auto &run : m_runs)
        ids.push_back(run.id);
    return ids;
}

std::vector<RunPoll> CurveSet::polls() const
{
    std::vector<RunPoll> polls;
    for (const auto &run : m_runs) {
        RunPoll poll{run.id, run.lastEventId, {}};
        for (std::size_t k = 0; k < run.series.size(); ++k) {
            if (!m_polled[k])
                continue;
            const auto &s = run.series[k];
            const CurveSamples &held = *s.samples;
            const bool any = held.size() > 0;
            poll.series.push_back({int(k), m_keys[k], s.lastId, any ? held.step.back() : -1,
                                   any ? held.wallTime.back() : 0});
        }
        polls.push_back(std::move(poll));
    }
    return polls;
}

CurveSet::Run *CurveSet::find(std::int64_t runId)
{
    auto it
        = std::find_if(m_runs.begin(), m_runs.end(), [&](const Run &r) { return r.id == runId; });
    return it == m_runs.end() ? nullptr : &*it;
}

CurveSet::Changes CurveSet::apply(std::vector<RunUpdate> updates)
{
    Changes changes;
    for (auto &update : updates) {
        if (Run *run = find(update.runId))
            applyRun(*run, update, changes);
    }
    return changes;
}

void CurveSet::applyRun(Run &run, RunUpdate &update, Changes &changes)
{
    const QString name = update.missing ? QStringLiteral("run %1 (deleted)").arg(run.id)
                                        : QString::fromStdString(update.name);
    if (name != run.name || update.missing != run.missing) {
        run.name = name;
        run.missing = update.missing;
        changes.names = true;
    }
    for (auto &event : update.events) {
        if (event.id <= run.lastEventId)
            continue; // already taken from an earlier poll
        run.lastEventId = event.id;
        if (event.kind == "paused")
            addPause(run, event.step, changes);
        if (isMarked(event.kind)) {
            run.events.push_back(std::move(event));
            changes.events = true;
        }
    }
    if (!update.missing && update.keys != run.recorded) {
        run.recorded = std::move(update.keys);
        changes.recorded = true;
    }
    for (auto &s : update.series) {
        if (!m_polled[std::size_t(s.key)])
            continue; // dropped while the poll ran
        Series &series = run.series[std::size_t(s.key)];
        if (!s.reload && s.afterId != series.lastId)
            continue; // read for what the run held before it was hidden and shown again
        if (run.origin == 0 && s.rows.size() > 0)
            run.origin = s.rows.wallTime.front();
        if (s.reload || series.samples.use_count() > 1) {
            // Copy on write: a snapshot being exported keeps the old samples.
            auto samples
                = std::make_shared<CurveSamples>(s.reload ? CurveSamples{} : *series.samples);
            series.samples = std::move(samples);
        }
        if (s.reload) {
            series.mapped = 0;
            series.raw.clear();
            series.smooth.clear();
            series.ema = {};
        }
        series.samples->append(s.rows);
        series.lastId = s.lastId;
        changes.keys |= keyBit(s.key);
        changes.events = changes.events || s.key == TrainLoss; // epoch positions of markers
    }
}

void CurveSet::addPause(Run &run, std::int64_t step, Changes &changes)
{
    run.pauses.push_back(step);
    // Throughput mapped past the pause already (the event read after the samples) is mapped
    // again with its gap.
    Series &speed = run.series[SamplesPerSec];
    const CurveSamples &samples = *speed.samples;
    if (speed.mapped > 0 && samples.step[speed.mapped - 1] > double(step)) {
        speed.mapped = 0;
        speed.raw.clear();
        speed.smooth.clear();
        speed.ema = {};
        changes.keys |= keyBit(SamplesPerSec);
    }
}

bool CurveSet::pausedBetween(const Run &run, double fromStep, double toStep)
{
    return std::any_of(run.pauses.begin(), run.pauses.end(), [&](std::int64_t step) {
        return fromStep <= double(step) && double(step) < toStep;
    });
}

int CurveSet::addKey(const std::string &name)
{
    auto it = std::find(m_keys.begin(), m_keys.end(), name);
    const auto key = std::size_t(it - m_keys.begin());
    if (it == m_keys.end()) {
        m_keys.push_back(name);
        m_polled.push_back(true);
        for (auto &run : m_runs)
            run.series.resize(m_keys.size());
    }
    m_polled[key] = true;
    return int(key);
}

void CurveSet::dropKey(int key)
{
    if (key < int(kCurveKeys.size()) || key >= int(m_keys.size()))
        return;
    m_polled[std::size_t(key)] = false;
    for (auto &run : m_runs)
        run.series[std::size_t(key)] = {};
}

std::vector<std::string> CurveSet::recordedKeys() const
{
    std::vector<std::string> keys;
    for (const auto &run : m_runs)
        keys.insert(keys.end(), run.recorded.begin(), run.recorded.end());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

void CurveSet::setDisplay(CurveAxis axis, double smoothing)
{
    if (axis == m_axis && smoothing == m_smoothing)
        return;
    // A new smoothing keeps the mapped points (only their average is redone); a new axis maps
    // them again.
    const bool remap = axis != m_axis;
    m_axis = axis;
    m_smoothing = smoothing;
    for (auto &run : m_runs) {
        for (auto &series : run.series) {
            if (remap) {
                series.mapped = 0;
                series.raw.clear();
            }
            series.smooth.clear();
            series.ema = {};
        }
    }
}

double CurveSet::axisX(const Run &run, const CurveSamples &samples, std::size_t i) const
{
    switch (m_axis) {
    case CurveAxis::Step: return samples.step[i];
    case CurveAxis::Epoch: return samples.epoch[i];
    case CurveAxis::RelativeTime: return samples.wallTime[i] - run.origin;
    case CurveAxis::WallTime: return samples.wallTime[i];
    }
    return samples.step[i];
}

void CurveSet::mapNewRows(const Run &run, Series &series, int key)
{
    const CurveSamples &samples = *series.samples;
    series.raw.reserve(samples.size());
    for (std::size_t i = series.mapped; i < samples.size(); ++i) {
        // No throughput is measured while a run is paused: a gap, not a line through it.
        if (key == SamplesPerSec && i > 0
            && pausedBetween(run, samples.step[i - 1], samples.step[i]))
            series.raw.push_back({axisX(run, samples, i - 1), kLineBreak});
        series.raw.push_back({axisX(run, samples, i), samples.value[i]});
    }
    series.mapped = samples.size();
    // appendEma gives one point per input point, so smooth.size() counts what is averaged.
    if (m_smoothing > 0 && isSmoothable(key) && series.smooth.size() < series.raw.size())
        appendEma(std::span(series.raw).subspan(series.smooth.size()), m_smoothing, series.ema,
                  series.smooth);
}

std::vector<PlotSeries> CurveSet::plotSeries(std::span<const int> keys, bool withKeySuffix)
{
    std::vector<PlotSeries> out;
    for (auto &run : m_runs) {
        const QColor color = runColour(run.id);
        for (int key : keys) {
            Series &series = run.series[std::size_t(key)];
            mapNewRows(run, series, key);
            if (series.raw.empty())
                continue;
            const bool val = isDashedKey(key);
            const QString name = seriesName(run.name, key, withKeySuffix);
            const bool smoothed = m_smoothing > 0 && isSmoothable(key);
            out.push_back({name, color, smoothed ? series.smooth : series.raw, val, false});
            if (smoothed)
                out.push_back({name, color, series.raw, val, true});
        }
    }
    return out;
}

const std::vector<track::SeriesPoint> &CurveSet::plotted(std::int64_t runId, int key)
{
    static const std::vector<track::SeriesPoint> none;
    Run *run = find(runId);
    if (!run)
        return none;
    Series &series = run->series[std::size_t(key)];
    mapNewRows(*run, series, key);
    return m_smoothing > 0 && isSmoothable(key) ? series.smooth : series.raw;
}

bool CurveSet::isValKey(int key) const
{
    return m_keys[std::size_t(key)].starts_with(std::string(track::keys::kValSplit) + '/');
}

bool CurveSet::isDashedKey(int key) const
{
    return isValKey(key) || m_keys[std::size_t(key)] == track::keys::kDistStepTimeMean;
}

QString CurveSet::seriesName(const QString &base, int key, bool withKeySuffix) const
{
    if (!withKeySuffix)
        return base;
    const std::string &name = m_keys[std::size_t(key)];
    if (name == track::keys::kDistStepTimeMax)
        return base + QStringLiteral(" · slowest worker");
    if (name == track::keys::kDistStepTimeMean)
        return base + QStringLiteral(" · mean of the workers");
    return base + (isValKey(key) ? QStringLiteral(" · val") : QStringLiteral(" · train"));
}

double CurveSet::markerX(const Run &run, const track::EventRow &event) const
{
    switch (m_axis) {
    case CurveAxis::Step: return double(event.step);
    case CurveAxis::RelativeTime: return event.wallTime - run.origin;
    case CurveAxis::WallTime: return event.wallTime;
    case CurveAxis::Epoch: break;
    }
    // The epoch of the first training sample at or after the event's step.
    const CurveSamples &samples = *run.series[TrainLoss].samples;
    if (samples.size() == 0)
        return 0;
    auto it = std::lower_bound(samples.step.begin(), samples.step.end(), double(event.step));
    const std::size_t i = std::min<std::size_t>(it - samples.step.begin(), samples.size() - 1);
    return samples.epoch[i];
}

std::vector<PlotMarker> CurveSet::markers() const
{
    std::vector<PlotMarker> out;
    for (const auto &run : m_runs) {
        for (const auto &event : run.events)
            out.push_back({markerX(run, event), markerLabel(event), runColour(run.id)});
    }
    return out;
}

std::vector<std::pair<QString, QColor>> CurveSet::legend() const
{
    std::vector<std::pair<QString, QColor>> out;
    for (const auto &run : m_runs)
        out.emplace_back(run.name, runColour(run.id));
    return out;
}

std::size_t CurveSet::sampleCount() const
{
    std::size_t n = 0;
    for (const auto &run : m_runs)
        for (const auto &series : run.series)
            n += series.samples->size();
    return n;
}

std::vector<CurveSet::Snapshot> CurveSet::snapshot() const
{
    std::vector<Snapshot> out;
    for (const auto &run : m_runs)
        for (std::size_t k = 0; k < run.series.size(); ++k)
            if (run.series[k].samples->size() > 0)
                out.push_back({run.id, run.name, m_keys[k], run.series[k].samples});
    return out;
}

} // namespace lathe::panels
