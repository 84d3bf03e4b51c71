// lathe-cli runs / show / compare: read-only views of the store, as text or --json.
#include "app/cli/commands.h"
#include "app/cli/compare_groups.h"
#include "app/cli/environment_output.h"

#include "core/track/metric_keys.h"
#include "core/track/run_store.h"
#include "core/track/run_timing.h"
#include "core/util/clock.h"
#include "core/util/join.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace lathe::cli {

namespace {

using nlohmann::json;

int commandUsage(const char *command, const std::string &message, const char *synopsis)
{
    std::fprintf(stderr, "lathe-cli %s: %s\nusage: lathe-cli %s\n", command, message.c_str(),
                 synopsis);
    return kExitUsage;
}

std::string timeText(double unixSeconds)
{
    if (unixSeconds <= 0)
        return "-";
    const std::time_t t = static_cast<std::time_t>(unixSeconds);
    std::tm local{};
    localtime_r(&t, &local);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &local);
    return text;
}

// Training time: wall time less the pauses and the gaps between an end and a resume.
double trainingSecondsOf(track::RunStore &store, const track::RunInfo &run)
{
    auto timeline = store.events(run.id);
    const auto idle = timeline ? track::idleTime(*timeline, run.endedAt) : track::IdleTime{};
    return track::trainingSeconds(run.startedAt, run.endedAt, idle, util::unixNow());
}

json optionalJson(const Result<std::optional<double>> &value)
{
    return value && *value ? json(**value) : json(nullptr);
}

// One run as the `runs` table and --json show it.
// What the run imported (its "finetune" event's "imported": class, file, SHA-256, ...), or null.
json importedModel(track::RunStore &store, std::int64_t runId)
{
    auto rows = store.events(runId);
    if (!rows)
        return nullptr;
    for (const auto &r : *rows) {
        if (r.kind != track::events::kFineTune)
            continue;
        const auto payload = json::parse(r.payloadJson, nullptr, false);
        if (payload.is_object() && payload.contains("imported"))
            return payload["imported"];
    }
    return nullptr;
}

json summary(track::RunStore &store, const track::RunInfo &run)
{
    const auto config = json::parse(run.configJson, nullptr, false);
    const auto at = [&](const char *object, const char *key) {
        return config.is_object() && config.contains(object) && config[object].contains(key)
                   ? config[object][key]
                   : json(nullptr);
    };
    const auto imported = importedModel(store, run.id);
    const auto last
        = [&](std::string_view key) { return optionalJson(store.lastMetric(run.id, key)); };
    return {{"id", run.id},
            {"name", run.name},
            {"status", std::string(track::toString(run.status))},
            {"created_at", run.createdAt},
            {"started_at", run.startedAt},
            {"ended_at", run.endedAt},
            {"duration_s", trainingSecondsOf(store, run)},
            {"wall_s", track::wallSeconds(run.startedAt, run.endedAt, util::unixNow())},
            {"model",
             imported.is_object() ? imported.value("label", json(nullptr)) : at("model", "arch")},
            {"imported_model", imported},
            {"optimizer", at("optimizer", "name")},
            {"lr", at("optimizer", "lr")},
            {"best_val_accuracy",
             optionalJson(store.bestMetric(run.id, track::keys::kValAccuracy, true))},
            {"test_accuracy", optionalJson(store.lastMetric(run.id, track::keys::kTestAccuracy))},
            {"privacy_epsilon", last(track::keys::kPrivacyEpsilon)},
            {"privacy_delta", last(track::keys::kPrivacyDelta)},
            {"tags", run.tags},
            {"host", run.host},
            {"seed", run.seed},
            {"parent_id", run.parentId ? json(*run.parentId) : json(nullptr)},
            {"error", run.errorMessage}};
}

std::string cell(const json &value, const char *format = "%.4f")
{
    if (value.is_null())
        return "-";
    if (value.is_number_float()) {
        char text[32];
        std::snprintf(text, sizeof text, format, value.get<double>());
        return text;
    }
    return value.is_string() ? value.get<std::string>() : value.dump();
}

// runs, show and compare only read: a store written by a newer Lathe is shown read-only, with a
// warning, instead of refused.
Result<std::unique_ptr<track::RunStore>> openStore(const ParsedArgs &args)
{
    const auto path = storePath(args);
    if (!std::filesystem::exists(path))
        return fail(ErrorCode::NotFound, "no database here yet; train a run first or pass --db",
                    path.string());
    auto store = track::RunStore::openForReading(path);
    if (store && !(*store)->readOnlyReason().empty())
        std::fprintf(stderr, "lathe-cli: warning: %s: %s to change it; it is open read-only\n",
                     path.c_str(), (*store)->readOnlyReason().c_str());
    return store;
}

void printRunsTable(const json &rows)
{
    std::printf("%5s  %-22s %-11s %-16s %9s  %-18s %-8s %9s %8s %8s  %s\n", "id", "name", "status",
                "created", "duration", "model", "optim", "lr", "best val", "test", "tags");
    for (const auto &r : rows) {
        const std::string tags = util::join(
            r["tags"], ",", [](const auto &t) { return t.template get<std::string>(); });
        std::printf("%5lld  %-22.22s %-11s %-16s %8.0fs  %-18.18s %-8s %9s %8s %8s  %s\n",
                    r["id"].get<long long>(), r["name"].get<std::string>().c_str(),
                    r["status"].get<std::string>().c_str(),
                    timeText(r["created_at"].get<double>()).c_str(), r["duration_s"].get<double>(),
                    cell(r["model"]).c_str(), cell(r["optimizer"]).c_str(),
                    cell(r["lr"], "%.3g").c_str(), cell(r["best_val_accuracy"]).c_str(),
                    cell(r["test_accuracy"]).c_str(), tags.c_str());
    }
}

} // namespace

int runsCommand(const std::vector<std::string> &args)
{
    const char *synopsis = "runs [--db PATH] [--filter TEXT] [--status STATUS] [--json]";
    auto parsed = parseArgs(args, CommandSpec{{"--db", "--filter", "--status"}, {"--json"}, 0, 0});
    if (auto *message = std::get_if<std::string>(&parsed))
        return commandUsage("runs", *message, synopsis);
    const auto &a = std::get<ParsedArgs>(parsed);
    track::RunQuery query;
    query.text = a.value("--filter").value_or("");
    if (auto status = a.value("--status")) {
        query.status = track::parseRunStatus(*status);
        if (!query.status)
            return commandUsage("runs", "unknown status \"" + *status + "\"", synopsis);
    }
    auto store = openStore(a);
    if (!store)
        return reportError(store.error());
    auto runs = (*store)->listRuns(query);
    if (!runs)
        return reportError(runs.error());
    json rows = json::array();
    for (const auto &run : *runs)
        rows.push_back(summary(**store, run));
    if (a.has("--json"))
        std::printf("%s\n", rows.dump(2).c_str());
    else
        printRunsTable(rows);
    return kExitOk;
}

int showCommand(const std::vector<std::string> &args)
{
    auto parsed = parseArgs(args, CommandSpec{{"--db"}, {"--json"}, 1, 1});
    if (auto *message = std::get_if<std::string>(&parsed))
        return commandUsage("show", *message, "show RUN [--db PATH] [--json]");
    const auto &a = std::get<ParsedArgs>(parsed);
    auto store = openStore(a);
    if (!store)
        return reportError(store.error());
    auto run = (*store)->findRun(a.positionals[0]);
    if (!run)
        return reportError(run.error());
    json out = summary(**store, *run);
    out["config"] = json::parse(run->configJson, nullptr, false);
    out["notes"] = run->notes;
    json metrics = json::object();
    if (auto keys = (*store)->metricKeys(run->id)) {
        for (const auto &key : *keys)
            metrics[key] = optionalJson((*store)->lastMetric(run->id, key));
    }
    out["final_metrics"] = metrics;
    json artifacts = json::array();
    if (auto rows = (*store)->artifacts(run->id)) {
        for (const auto &r : *rows)
            artifacts.push_back(
                {{"kind", r.kind}, {"path", r.path}, {"bytes", r.bytes}, {"sha256", r.sha256}});
    }
    out["artifacts"] = artifacts;
    json events = json::array();
    if (auto rows = (*store)->events(run->id)) {
        for (const auto &r : *rows)
            if (r.kind != "eval" && r.kind != "checkpoint")
                events.push_back({{"kind", r.kind},
                                  {"step", r.step},
                                  {"time", r.wallTime},
                                  {"payload", json::parse(r.payloadJson, nullptr, false)}});
    }
    out["events"] = events;
    addEnvironmentJson(**store, run->id, out);
    if (a.has("--json")) {
        std::printf("%s\n", out.dump(2).c_str());
        return kExitOk;
    }
    std::printf("run %lld  %s  [%s]\n", (long long)run->id, run->name.c_str(),
                out["status"].get<std::string>().c_str());
    std::printf("created %s, trained %.0fs (wall time %.0fs) on %s, seed %llu, LibTorch %s\n",
                timeText(run->createdAt).c_str(), out["duration_s"].get<double>(),
                out["wall_s"].get<double>(), run->host.c_str(), (unsigned long long)run->seed,
                run->torchVersion.c_str());
    if (out["imported_model"].is_object()) {
        const auto &m = out["imported_model"];
        std::printf("imported model %s from %s (sha256 %s), %lld parameters, %lld layers\n",
                    m.value("class", "").c_str(), m.value("file", "").c_str(),
                    m.value("sha256", "").c_str(), m.value("parameters", 0LL),
                    m.value("layers", 0LL));
    }
    if (!run->errorMessage.empty())
        std::printf("error: %s\n", run->errorMessage.c_str());
    if (!out["privacy_epsilon"].is_null())
        std::printf("differentially private (DP-SGD): epsilon %s at delta %s\n",
                    cell(out["privacy_epsilon"], "%.4g").c_str(),
                    cell(out["privacy_delta"], "%.3g").c_str());
    std::printf("\nfinal metrics:\n");
    for (const auto &[key, value] : metrics.items())
        std::printf("  %-24s %s\n", key.c_str(), cell(value, "%.6g").c_str());
    std::printf("\nartifacts:\n");
    for (const auto &r : artifacts)
        std::printf("  %-18s %s (%lld bytes, sha256 %.12s)\n", r["kind"].get<std::string>().c_str(),
                    r["path"].get<std::string>().c_str(), r["bytes"].get<long long>(),
                    r["sha256"].get<std::string>().c_str());
    printEnvironment(out);
    std::printf("\nconfig:\n%s\n", out["config"].dump(2).c_str());
    return kExitOk;
}

int compareCommand(const std::vector<std::string> &args)
{
    const char *synopsis = "compare RUN RUN... [--db PATH] [--json]\n"
                           "       lathe-cli compare [RUN...] --group-by KEY [--group-by KEY] "
                           "[--metric KEY]... [--db PATH] [--json]\n"
                           "       lathe-cli compare A B --stats [--metric KEY] [--db PATH] "
                           "[--json]   (A, B: a run, its repeat group, or KEY=VALUE)";
    auto parsed = parseArgs(
        args, CommandSpec{{"--db", "--group-by", "--metric"}, {"--json", "--stats"}, 0, 1000});
    if (auto *message = std::get_if<std::string>(&parsed))
        return commandUsage("compare", *message, synopsis);
    const auto &a = std::get<ParsedArgs>(parsed);
    const bool grouped = a.values.contains("--group-by");
    const std::size_t named = a.positionals.size();
    if (grouped && a.has("--stats"))
        return commandUsage("compare", "--group-by and --stats do not go together", synopsis);
    if (a.has("--stats") && named != 2)
        return commandUsage("compare", "--stats compares exactly two sides, A and B", synopsis);
    if (!grouped && !a.has("--stats") && (named < 2 || named > 64))
        return commandUsage("compare", "compare needs 2 to 64 runs (or --group-by)", synopsis);
    if (!grouped && !a.has("--stats") && a.values.contains("--metric"))
        return commandUsage("compare", "--metric goes with --group-by or --stats", synopsis);
    auto store = openStore(a);
    if (!store)
        return reportError(store.error());
    if (grouped)
        return compareGroups(a, **store);
    if (a.has("--stats"))
        return compareStats(a, **store);
    std::vector<std::int64_t> ids;
    json runs = json::array();
    for (const auto &ref : a.positionals) {
        auto run = (*store)->findRun(ref);
        if (!run)
            return reportError(run.error());
        ids.push_back(run->id);
        runs.push_back(summary(**store, *run));
    }
    auto diff = (*store)->configDiff(ids);
    if (!diff)
        return reportError(diff.error());
    json differences = json::array();
    for (const auto &d : *diff) {
        json values = json::array();
        for (const auto &v : d.values)
            values.push_back(v ? json(*v) : json(nullptr));
        differences.push_back({{"key", d.key}, {"values", values}});
    }
    auto environments = compare::environmentDiff(**store, ids, compare::sameConfigButSeed(*diff));
    if (!environments)
        return reportError(environments.error());
    if (a.has("--json")) {
        std::printf("%s\n", json{{"runs", runs},
                                 {"config_diff", differences},
                                 {"environment_diff", environmentDiffJson(*environments)}}
                                .dump(2)
                                .c_str());
        return kExitOk;
    }
    std::printf("%-28s", "config key");
    for (const auto &r : runs)
        std::printf(" %18s", ("#" + std::to_string(r["id"].get<long long>())).c_str());
    std::printf("\n");
    for (const auto &d : differences) {
        std::printf("%-28.28s", d["key"].get<std::string>().c_str());
        for (const auto &v : d["values"])
            std::printf(" %18.18s", cell(v).c_str());
        std::printf("\n");
    }
    printEnvironmentDiff(*environments);
    if (differences.empty() && environments->summary.empty())
        std::printf("(identical configs)\n");
    std::printf("\n");
    for (const char *key : {"status", "best_val_accuracy", "test_accuracy", "duration_s"}) {
        std::printf("%-28s", key);
        for (const auto &r : runs)
            std::printf(" %18s", cell(r[key]).c_str());
        std::printf("\n");
    }
    return kExitOk;
}

} // namespace lathe::cli
