// lathe-cli sweep: create a sweep from a spec and run it, or resume one, with K workers: one
// in this process (K = 1), or K child processes of this executable (`sweep resume ID --worker`)
// in one process group, which this process waits for and passes Ctrl-C on to. A sweep whose
// status someone sets to stopped in the store stops too: each worker ends its running trial and
// exits (train::runSweepWorker).
#include "app/cli/child_processes.h"
#include "app/cli/commands.h"
#include "app/cli/stop_signals.h"
#include "app/cli/sweep_output.h"

#include "core/train/sweep_runner.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace lathe::cli {

namespace {

constexpr const char *kSweepUsage
    = "usage: lathe-cli sweep SPEC.json [--workers K] [--trials N] [--set key=value]... "
      "[--max-steps N] [--db PATH]\n"
      "       lathe-cli sweep resume ID [--worker] [--workers K] [--set key=value]... "
      "[--max-steps N] [--db PATH]\n"
      "       lathe-cli sweep show ID [--json] [--db PATH]\n";

int sweepUsage(const std::string &message)
{
    std::fprintf(stderr, "lathe-cli sweep: %s\n%s", message.c_str(), kSweepUsage);
    return kExitUsage;
}

std::vector<std::string> overridesOf(const ParsedArgs &a)
{
    auto it = a.values.find("--set");
    return it == a.values.end() ? std::vector<std::string>{} : it->second;
}

// A whole number >= `least` from option `name` (nullopt when absent); -1 for a bad one.
std::optional<std::int64_t> countOption(const ParsedArgs &a, const std::string &name,
                                        std::int64_t least)
{
    auto text = a.value(name);
    if (!text)
        return std::nullopt;
    auto value = parseInteger(*text);
    return value && *value >= least ? *value : -1;
}

void reportLine(std::int64_t sweepId, const std::string &line)
{
    std::fprintf(stderr, "sweep %lld: %s\n", (long long)sweepId, line.c_str());
    std::fflush(stderr);
}

// One worker in this process, trained on the main thread.
int runHere(std::int64_t sweepId, const ParsedArgs &a, std::int64_t maxSteps, bool &stopped)
{
    std::stop_source stop;
    // A --worker's parent says it once for all its workers.
    const auto watcher = watchStopSignals(
        stop, a.has("--worker") ? ""
                                : "\nstopping: the running trial stops and stays running; "
                                  "`lathe-cli sweep resume` re-runs it\n");
    train::SweepWorkerOptions options;
    options.db = storePath(a);
    options.maxSteps = maxSteps;
    options.overrides = overridesOf(a);
    options.stop = stop.get_token();
    options.report = [sweepId](const std::string &line) { reportLine(sweepId, line); };
    auto outcome = train::runSweepWorker(sweepId, options);
    if (!outcome) {
        // An unknown sweep or an unreadable spec is bad input; anything else failed mid-sweep.
        const int code = reportError(outcome.error());
        const auto kind = outcome.error().code;
        return kind == ErrorCode::NotFound || kind == ErrorCode::BadInput ? code
                                                                          : kExitTrainingFailed;
    }
    stopped = outcome->stopped;
    return kExitOk;
}

// K workers as child processes in one process group; Ctrl-C is passed on to the group.
int runChildren(std::int64_t sweepId, const ParsedArgs &a, int workers, std::int64_t maxSteps,
                bool &stopped)
{
    std::vector<std::string> args{
        "lathe-cli",          "sweep", "resume", std::to_string(sweepId), "--worker", "--db",
        storePath(a).string()};
    if (maxSteps > 0)
        args.insert(args.end(), {"--max-steps", std::to_string(maxSteps)});
    for (const auto &assignment : overridesOf(a))
        args.insert(args.end(), {"--set", assignment});

    std::stop_source stop;
    const auto watcher = watchStopSignals(stop, "\nstopping the workers: their running trials "
                                                "stop and stay running; `lathe-cli sweep "
                                                "resume` re-runs them\n");
    ChildProcesses children("lathe-cli sweep");
    for (int i = 0; i < workers; ++i)
        children.start(args, "worker " + std::to_string(i + 1));
    children.waitUntil(0, stop);
    stopped = stop.stop_requested();
    return children.failures() > 0 && !stopped ? kExitTrainingFailed : kExitOk;
}

// Runs sweep `sweepId` with `workers` workers, then prints how it stands.
int runSweep(std::int64_t sweepId, const ParsedArgs &a, int workers, std::int64_t maxSteps)
{
    bool stopped = false;
    const int code = workers <= 1 ? runHere(sweepId, a, maxSteps, stopped)
                                  : runChildren(sweepId, a, workers, maxSteps, stopped);
    auto store = track::SweepStore::open(storePath(a));
    if (!store)
        return reportError(store.error());
    if (stopped)
        if (auto ok = (*store)->setSweepStatus(sweepId, track::SweepStatus::Stopped); !ok)
            return reportError(ok.error());
    // Stopped here (Ctrl-C) or by someone else in the store (the window's Stop).
    auto info = (*store)->sweep(sweepId);
    if (!info)
        return reportError(info.error());
    if (info->status == track::SweepStatus::Stopped)
        std::printf("sweep %lld stopped: `lathe-cli sweep resume %lld` goes on\n",
                    (long long)sweepId, (long long)sweepId);
    if (auto shown = printSweepSummary(**store, sweepId); !shown)
        return reportError(shown.error());
    return code;
}

int createAndRun(const ParsedArgs &a)
{
    const auto workers = countOption(a, "--workers", 1);
    const auto trials = countOption(a, "--trials", 1);
    const auto maxSteps = countOption(a, "--max-steps", 0);
    if (workers == -1 || trials == -1 || maxSteps == -1)
        return sweepUsage("--workers and --trials need a whole number >= 1, --max-steps >= 0");
    auto spec = train::loadSweep(a.positionals[0], overridesOf(a));
    if (!spec)
        return reportError(spec.error());
    if (trials)
        spec->trials = int(*trials);
    auto store = track::SweepStore::open(storePath(a));
    if (!store)
        return reportError(store.error());
    const auto id
        = (*store)->createSweep({spec->name, sweep::toJson(*spec).dump(), maxSteps.value_or(0)});
    if (!id)
        return reportError(id.error());
    const int k = workers ? int(*workers) : train::defaultSweepWorkers(*spec);
    std::printf("sweep %lld (%s): %d trials, %d worker%s, database %s\n", (long long)*id,
                spec->name.c_str(), train::trialBudget(*spec), k, k == 1 ? "" : "s",
                storePath(a).string().c_str());
    std::fflush(stdout);
    return runSweep(*id, a, k, maxSteps.value_or(0));
}

int resume(const ParsedArgs &a)
{
    const auto id = parseInteger(a.positionals[1]);
    const auto workers = countOption(a, "--workers", 1);
    const auto maxSteps = countOption(a, "--max-steps", 0);
    if (!id || workers == -1 || maxSteps == -1)
        return sweepUsage("ID is a sweep id; --workers needs a whole number >= 1, --max-steps "
                          ">= 0");
    if (a.has("--worker")) {
        bool stopped = false;
        return runHere(*id, a, maxSteps.value_or(0), stopped);
    }
    auto store = track::SweepStore::open(storePath(a));
    if (!store)
        return reportError(store.error());
    auto info = (*store)->sweep(*id);
    if (!info)
        return reportError(info.error());
    auto spec = train::storedSweepSpec(*info);
    if (!spec)
        return reportError(spec.error());
    if (auto ok = (*store)->setSweepStatus(*id, track::SweepStatus::Running); !ok)
        return reportError(ok.error());
    const int k = workers ? int(*workers) : train::defaultSweepWorkers(*spec);
    std::printf("sweep %lld (%s): resumed with %d worker%s\n", (long long)*id, info->name.c_str(),
                k, k == 1 ? "" : "s");
    std::fflush(stdout);
    store->reset();
    return runSweep(*id, a, k, maxSteps.value_or(0));
}

} // namespace

int sweepCommand(const std::vector<std::string> &args)
{
    blockStopSignals();
    const CommandSpec spec{
        {"--db", "--workers", "--trials", "--set", "--max-steps"}, {"--worker", "--json"}, 1, 2};
    auto parsed = parseArgs(args, spec);
    if (auto *message = std::get_if<std::string>(&parsed))
        return sweepUsage(*message);
    const auto &a = std::get<ParsedArgs>(parsed);
    const auto &first = a.positionals[0];
    if (first == "show") {
        if (a.positionals.size() != 2)
            return sweepUsage("show needs a sweep id");
        return showSweep(a);
    }
    if (first == "resume") {
        if (a.positionals.size() != 2)
            return sweepUsage("resume needs a sweep id");
        return resume(a);
    }
    if (a.positionals.size() != 1)
        return sweepUsage("one spec file, or resume ID, or show ID");
    if (a.has("--worker") || a.has("--json"))
        return sweepUsage("--worker goes with resume, --json with show");
    return createAndRun(a);
}

} // namespace lathe::cli
