#include "panels/bridge/sweep_snapshot.h"

#include "core/sweep/importance.h"
#include "core/track/run_store.h"
#include "core/train/sweep_runner.h"
#include "kernels/feature_map_grid/feature_map_grid.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_map>

// The Sweep panel's reads, on the store thread: a sweep, its trials and what is derived from
// them (best so far, best config, importance) as plain values the GUI thread only draws.
namespace lathe::panels {

namespace {

using json = nlohmann::json;
constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

void mix(std::uint64_t &hash, std::uint64_t value)
{
    hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
}

void mixDouble(std::uint64_t &hash, std::optional<double> value)
{
    mix(hash, value ? std::bit_cast<std::uint64_t>(*value) : 1);
}

// Everything the panel shows of the sweep's rows, so an unchanged sweep costs no redraw.
std::uint64_t signatureOf(const track::SweepInfo &info, const std::vector<track::TrialRow> &rows)
{
    std::uint64_t hash = std::hash<std::string>{}(info.name);
    mix(hash, std::uint64_t(info.status));
    for (const auto &row : rows) {
        mix(hash, std::uint64_t(row.number));
        mix(hash, std::uint64_t(row.state));
        mixDouble(hash, row.value);
        mix(hash, std::uint64_t(row.runId.value_or(0)));
        mix(hash, row.values.size());
        if (!row.values.empty())
            mixDouble(hash, row.values.rbegin()->second);
    }
    return hash;
}

QString jsonValueText(const json &value)
{
    if (value.is_string())
        return QString::fromStdString(value.get<std::string>());
    if (value.is_number_float())
        return QString::number(value.get<double>(), 'g', 4);
    return QString::fromStdString(value.dump());
}

std::vector<SweepAxis> axesOf(const sweep::SearchSpace &space)
{
    std::vector<SweepAxis> axes;
    for (const auto &dim : space.dimensions) {
        SweepAxis axis{QString::fromStdString(dim.key), dim.kind, dim.low, dim.high, {}};
        for (const auto &value : dim.values)
            axis.choices << jsonValueText(value);
        axes.push_back(std::move(axis));
    }
    return axes;
}

// The trial's value on one key as the plots place it: the number, or the choice's index.
double coordinate(const sweep::Dimension &dim, const json &value)
{
    if (dim.kind != sweep::Kind::Choice)
        return value.is_number() ? value.get<double>() : kNoValue;
    for (std::size_t i = 0; i < dim.values.size(); ++i)
        if (sweep::sameValue(dim.values[i], value))
            return double(i);
    return kNoValue;
}

TrialItem trialItem(const track::TrialRow &row, const sweep::SweepSpec *spec)
{
    TrialItem item;
    item.number = row.number;
    item.state = row.state;
    item.value = row.value;
    item.runId = row.runId.value_or(0);
    item.error = QString::fromStdString(row.errorMessage);
    if (!row.values.empty()) {
        item.lastStep = row.values.rbegin()->first;
        item.lastValue = row.values.rbegin()->second;
    }
    if (!spec)
        return item;
    const auto params = json::parse(row.paramsJson, nullptr, false);
    for (const auto &dim : spec->space.dimensions) {
        const bool has = params.is_object() && params.contains(dim.key);
        item.params << (has ? jsonValueText(params[dim.key]) : QString());
        item.coords.push_back(has ? coordinate(dim, params[dim.key]) : kNoValue);
    }
    return item;
}

void fillBest(SweepSnapshot &snapshot, const sweep::SweepSpec &spec,
              const std::vector<track::TrialRow> &rows)
{
    double best = kNoValue;
    for (const auto &row : rows) {
        if (row.state == track::TrialState::Completed && row.value && std::isfinite(*row.value)) {
            ++snapshot.completed;
            if (std::isnan(best) || sweep::better(spec.objective.direction, *row.value, best))
                best = *row.value;
        }
        snapshot.bestSoFar.push_back(best);
    }
    const auto *top = train::bestTrial(spec, rows);
    if (!top)
        return;
    snapshot.bestNumber = top->number;
    sweep::Params params;
    const auto parsed = json::parse(top->paramsJson, nullptr, false);
    if (parsed.is_object())
        for (const auto &[key, value] : parsed.items())
            params[key] = value;
    if (auto config = sweep::applyParams(spec.base, params))
        snapshot.bestConfigJson = config->dump();
    else
        snapshot.problem = QString::fromStdString(config.error().message);
}

} // namespace

Result<std::vector<SweepListItem>> readSweepList(track::SweepStore &sweeps,
                                                 const std::map<qint64, int> &knownTotals)
{
    auto list = sweeps.listSweeps();
    if (!list)
        return std::unexpected(list.error());
    std::vector<SweepListItem> items;
    for (const auto &info : *list) {
        auto trials = sweeps.trials(info.id);
        if (!trials)
            return std::unexpected(trials.error());
        SweepListItem item{info.id, QString::fromStdString(info.name), info.status, 0, -1};
        for (const auto &trial : *trials)
            item.done += trial.state != track::TrialState::Running;
        if (const auto known = knownTotals.find(info.id); known != knownTotals.end())
            item.total = known->second;
        else if (auto spec = train::storedSweepSpec(info))
            item.total = train::trialBudget(*spec);
        items.push_back(std::move(item));
    }
    return items;
}

Result<std::optional<SweepSnapshot>> readSweepSnapshot(track::RunStore &runs,
                                                       track::SweepStore &sweeps, qint64 id,
                                                       std::uint64_t unchanged)
{
    auto info = sweeps.sweep(id);
    if (!info)
        return std::unexpected(info.error());
    auto rows = sweeps.trials(id);
    if (!rows)
        return std::unexpected(rows.error());
    SweepSnapshot snapshot;
    snapshot.signature = signatureOf(*info, *rows);
    if (snapshot.signature == unchanged)
        return std::nullopt;
    snapshot.info = {info->id, QString::fromStdString(info->name), info->status, 0, -1};
    auto spec = train::storedSweepSpec(*info);
    if (spec) {
        snapshot.info.total = train::trialBudget(*spec);
        snapshot.metric = QString::fromStdString(spec->objective.metric);
        snapshot.maximize = spec->objective.direction == sweep::Direction::Maximize;
        snapshot.axes = axesOf(spec->space);
        fillBest(snapshot, *spec, *rows);
        const auto records = train::trialRecords(*rows);
        for (const auto &item :
             sweep::parameterImportance(spec->space, spec->objective.direction, records))
            snapshot.importance.emplace_back(QString::fromStdString(item.key), item.importance);
    } else {
        snapshot.problem = QString::fromStdString(spec.error().message);
        snapshot.bestSoFar.assign(rows->size(), kNoValue);
    }
    // The runs' names in one read (a statement per run cost ~30 ms for 1,000 trials).
    std::unordered_map<std::int64_t, std::string> names;
    if (std::any_of(rows->begin(), rows->end(), [](const auto &row) { return row.runId; }))
        if (auto listed = runs.listRuns({}))
            for (auto &run : *listed)
                names.emplace(run.id, std::move(run.name));
    for (const auto &row : *rows) {
        snapshot.info.done += row.state != track::TrialState::Running;
        TrialItem item = trialItem(row, spec ? &*spec : nullptr);
        if (const auto name = names.find(item.runId); name != names.end())
            item.runName = QString::fromStdString(name->second);
        snapshot.trials.push_back(std::move(item));
    }
    return std::optional<SweepSnapshot>(std::move(snapshot));
}

QRgb objectiveColour(double t)
{
    const auto &table = kernels::colormapTable(kernels::Colormap::Viridis);
    const double index = std::isnan(t) ? 0.0 : std::round(255.0 * std::clamp(t, 0.0, 1.0));
    const auto &entry = table[std::size_t(index)];
    return qRgb(entry[0], entry[1], entry[2]);
}

} // namespace lathe::panels
