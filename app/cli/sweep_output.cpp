// lathe-cli sweeps / sweep show: sweeps and their trials as the store holds them.
#include "app/cli/sweep_output.h"

#include "app/cli/commands.h"

#include "core/sweep/importance.h"
#include "core/train/sweep_runner.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace lathe::cli {

namespace {

using json = nlohmann::json;

json valueJson(std::optional<double> value)
{
    return value && !std::isnan(*value) ? json(*value) : json(nullptr);
}

std::string valueText(std::optional<double> value)
{
    if (!value || std::isnan(*value))
        return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", *value);
    return text;
}

json trialJson(const track::TrialRow &trial)
{
    json values = json::object();
    for (const auto &[step, value] : trial.values)
        values[std::to_string(step)] = valueJson(value);
    const auto params = json::parse(trial.paramsJson, nullptr, false);
    return {{"number", trial.number},
            {"state", std::string(track::toString(trial.state))},
            {"value", valueJson(trial.value)},
            {"run_id", trial.runId ? json(*trial.runId) : json(nullptr)},
            {"params", params.is_discarded() ? json::object() : params},
            {"intermediate", values},
            {"error", trial.errorMessage},
            {"asked_at", trial.askedAt},
            {"ended_at", trial.endedAt > 0 ? json(trial.endedAt) : json(nullptr)}};
}

// A sweep with its trials, read once; the spec is null when it no longer parses.
struct SweepView
{
    track::SweepInfo info;
    std::optional<sweep::SweepSpec> spec;
    std::vector<track::TrialRow> trials;
};

Result<SweepView> readSweep(track::SweepStore &store, std::int64_t id)
{
    auto info = store.sweep(id);
    if (!info)
        return std::unexpected(info.error());
    auto trials = store.trials(id);
    if (!trials)
        return std::unexpected(trials.error());
    SweepView view{std::move(*info), std::nullopt, std::move(*trials)};
    if (auto spec = train::storedSweepSpec(view.info))
        view.spec = std::move(*spec);
    return view;
}

// The sweep as `sweeps --json` lists it.
json sweepJson(const SweepView &view)
{
    std::map<std::string, int> states{
        {"running", 0}, {"completed", 0}, {"pruned", 0}, {"failed", 0}};
    for (const auto &trial : view.trials)
        ++states[std::string(track::toString(trial.state))];
    const auto *best = view.spec ? train::bestTrial(*view.spec, view.trials) : nullptr;
    json row{{"id", view.info.id},
             {"name", view.info.name},
             {"status", std::string(track::toString(view.info.status))},
             {"created_at", view.info.createdAt},
             {"ended_at", view.info.endedAt > 0 ? json(view.info.endedAt) : json(nullptr)},
             {"trials_done", int(view.trials.size()) - states["running"]},
             {"trials_total", view.spec ? json(train::trialBudget(*view.spec)) : json(nullptr)},
             {"states", states},
             {"best_value", best ? valueJson(best->value) : json(nullptr)},
             {"best_trial", best ? json(best->number) : json(nullptr)}};
    if (view.spec)
        row["objective"]
            = {{"metric", view.spec->objective.metric},
               {"direction", view.spec->objective.direction == sweep::Direction::Maximize
                                 ? "maximize"
                                 : "minimize"}};
    return row;
}

std::string cellOf(const json &value)
{
    if (value.is_null())
        return "-";
    if (value.is_number_float())
        return valueText(value.get<double>());
    return value.is_string() ? value.get<std::string>() : value.dump();
}

void printTrials(const SweepView &view)
{
    std::printf("%-6s %-10s %-9s %-6s %s\n", "trial", "state", "value", "run", "params");
    for (const auto &trial : view.trials) {
        std::string params = trial.paramsJson;
        if (trial.state == track::TrialState::Failed)
            params += "  (" + trial.errorMessage + ")";
        else if (trial.state == track::TrialState::Pruned && !trial.values.empty())
            params += "  (pruned at step " + std::to_string(trial.values.rbegin()->first) + ")";
        std::printf("%-6d %-10s %-9s %-6s %s\n", trial.number,
                    std::string(track::toString(trial.state)).c_str(),
                    valueText(trial.value).c_str(),
                    trial.runId ? std::to_string(*trial.runId).c_str() : "-", params.c_str());
    }
}

json importanceJson(const SweepView &view)
{
    json rows = json::array();
    if (!view.spec)
        return rows;
    const auto records = train::trialRecords(view.trials);
    for (const auto &item :
         sweep::parameterImportance(view.spec->space, view.spec->objective.direction, records))
        rows.push_back({{"key", item.key}, {"importance", item.importance}});
    return rows;
}

json bestJson(const SweepView &view)
{
    const auto *best = view.spec ? train::bestTrial(*view.spec, view.trials) : nullptr;
    if (!best)
        return nullptr;
    json row = trialJson(*best);
    sweep::Params params;
    for (const auto &[key, value] : row["params"].items())
        params[key] = value;
    auto config = sweep::applyParams(view.spec->base, params);
    row["config"] = config ? *config : json(nullptr);
    return row;
}

// sweeps and show only read: a missing database is an error rather than a new empty one.
Result<std::unique_ptr<track::SweepStore>> openExisting(const ParsedArgs &args)
{
    const auto path = storePath(args);
    if (!std::filesystem::exists(path))
        return fail(ErrorCode::NotFound, "no database here yet; start a sweep first or pass --db",
                    path.string());
    return track::SweepStore::open(path);
}

} // namespace

Result<void> printSweepSummary(track::SweepStore &store, std::int64_t sweepId)
{
    auto view = readSweep(store, sweepId);
    if (!view)
        return std::unexpected(view.error());
    const auto row = sweepJson(*view);
    const auto &states = row["states"];
    std::printf("sweep %lld (%s): %s, %s of %s trials done (%d completed, %d pruned, %d failed)\n",
                (long long)sweepId, view->info.name.c_str(),
                row["status"].get<std::string>().c_str(), cellOf(row["trials_done"]).c_str(),
                cellOf(row["trials_total"]).c_str(), states["completed"].get<int>(),
                states["pruned"].get<int>(), states["failed"].get<int>());
    const auto best = bestJson(*view);
    if (best.is_null())
        std::printf("best: none yet\n");
    else
        std::printf("best: trial %d, %s = %s (run %s), params %s\n", best["number"].get<int>(),
                    view->spec->objective.metric.c_str(), cellOf(best["value"]).c_str(),
                    cellOf(best["run_id"]).c_str(), best["params"].dump().c_str());
    std::fflush(stdout);
    return {};
}

int showSweep(const ParsedArgs &args)
{
    const auto id = parseInteger(args.positionals[1]);
    if (!id) {
        std::fprintf(stderr, "lathe-cli sweep show: \"%s\" is not a sweep id\n",
                     args.positionals[1].c_str());
        return kExitUsage;
    }
    auto store = openExisting(args);
    if (!store)
        return reportError(store.error());
    auto view = readSweep(**store, *id);
    if (!view)
        return reportError(view.error());
    json out = sweepJson(*view);
    out["trials"] = json::array();
    for (const auto &trial : view->trials)
        out["trials"].push_back(trialJson(trial));
    out["best"] = bestJson(*view);
    out["importance"] = importanceJson(*view);
    if (args.has("--json")) {
        std::printf("%s\n", out.dump(2).c_str());
        return kExitOk;
    }
    if (auto ok = printSweepSummary(**store, *id); !ok)
        return reportError(ok.error());
    std::printf("\n");
    printTrials(*view);
    if (!out["best"].is_null())
        std::printf("\nbest config:\n%s\n", out["best"]["config"].dump(2).c_str());
    if (!out["importance"].empty()) {
        std::printf("\nparameter importance (PED-ANOVA over the completed trials):\n");
        for (const auto &item : out["importance"])
            std::printf("  %-28s %.3f\n", item["key"].get<std::string>().c_str(),
                        item["importance"].get<double>());
    }
    return kExitOk;
}

int sweepsCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, CommandSpec{{"--db"}, {"--json"}, 0, 0});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "lathe-cli sweeps: %s\nusage: lathe-cli sweeps [--db PATH] [--json]\n",
                     message->c_str());
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    auto store = openExisting(a);
    if (!store)
        return reportError(store.error());
    auto sweeps = (*store)->listSweeps();
    if (!sweeps)
        return reportError(sweeps.error());
    json rows = json::array();
    for (const auto &info : *sweeps) {
        auto view = readSweep(**store, info.id);
        if (!view)
            return reportError(view.error());
        rows.push_back(sweepJson(*view));
    }
    if (a.has("--json")) {
        std::printf("%s\n", rows.dump(2).c_str());
        return kExitOk;
    }
    std::printf("%-5s %-24s %-9s %-8s %s\n", "id", "name", "status", "trials", "best");
    for (const auto &row : rows)
        std::printf("%-5s %-24s %-9s %-8s %s\n", cellOf(row["id"]).c_str(),
                    cellOf(row["name"]).c_str(), cellOf(row["status"]).c_str(),
                    (cellOf(row["trials_done"]) + "/" + cellOf(row["trials_total"])).c_str(),
                    cellOf(row["best_value"]).c_str());
    return kExitOk;
}

} // namespace lathe::cli
