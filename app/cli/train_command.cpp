// lathe-cli train / resume: run a RunJob on the main thread while a watcher thread waits for
// Ctrl-C (stop_signals.h).
#include "app/cli/child_processes.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/stop_signals.h"

#include "core/train/autocast_scope.h"
#include "core/track/run_groups.h"
#include "core/train/run_job.h"
#include "core/util/clock.h"

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <thread>

namespace lathe::cli {

namespace {

// Training runs on the main thread, the thread that loaded the data: its OpenMP team is then
// the process's only one. A second team (a training thread's next to the main thread's idle
// one) makes libgomp count more threads than cores and put its workers to sleep after every
// parallel region instead of spinning: thousands of futex wake-ups a second, ~15% of the step.
// `stopped`: whether Ctrl-C (or SIGTERM) stopped it.
Result<train::TrainOutcome> runWithSignals(train::RunJob &job, bool &stopped)
{
    std::stop_source stopSource;
    const auto watcher = watchStopSignals(stopSource, "\nstopping: finishing the step and writing "
                                                      "a checkpoint (the run can be resumed)\n");
    auto outcome = job.run(stopSource.get_token());
    stopped = stopSource.stop_requested();
    return outcome;
}

// Loading a TorchScript file runs the code in it (torch.jit.load): a user should know.
void warnTorchScript(const std::string &file)
{
    std::fprintf(stderr,
                 "lathe-cli: warning: the TorchScript model runs code from %s: only open files you "
                 "trust; safetensors (finetune.safetensors) loads weights without running code\n",
                 file.c_str());
}

// Runs a prepared job with a progress display and turns its outcome into an exit code.
// `warned`: the TorchScript file warnTorchScript() named already, if any; `stopped`, when given,
// says whether the user stopped it.
int runJob(Result<std::unique_ptr<train::RunJob>> prepared, const std::filesystem::path &db,
           const std::string &warned = {}, bool *stopped = nullptr)
{
    if (!prepared)
        return reportError(prepared.error());
    auto &job = **prepared;
    auto &trainer = job.trainer();
    // A resumed run, or a fine-tune of an imported model, loaded its file from the stored config.
    if (const auto &file = trainer.config().finetune.torchscript; !file.empty() && file != warned)
        warnTorchScript(file);
    const auto &training = trainer.config().training;
    const auto precision
        = train::effectiveMixedPrecision(training.mixedPrecision, torch::Device(training.device));
    const auto &summary = trainer.fineTuneSummary();
    const std::string model = summary.is_object() && summary.contains("imported")
                                  ? summary["imported"].value("label", "")
                                  : trainer.config().model.arch;
    std::printf("run %lld (%s): %s, %lld steps per epoch, %lld epochs, %s, database %s\n",
                (long long)job.runId(), job.runName().c_str(), model.c_str(),
                (long long)trainer.stepsPerEpoch(), (long long)training.epochs,
                precision == "off" ? "fp32" : precision.c_str(), db.string().c_str());
    if (const auto &state = trainer.state(); state.step > 0)
        std::printf("continuing from step %lld (epoch %lld)\n", (long long)state.step,
                    (long long)state.epoch + 1);
    std::fflush(stdout);
    const auto limit = trainer.maxSteps();
    ProgressPrinter progress(
        stdout, limit > 0 ? std::min(limit, trainer.totalSteps()) : trainer.totalSteps(),
        trainer.config().training.epochs);
    job.setObserver(&progress);
    bool stoppedHere = false;
    auto outcome = runWithSignals(job, stoppedHere);
    if (stopped)
        *stopped = stoppedHere;
    if (!outcome) {
        // Whatever stopped it (a full disk, a NaN loss), the run started and failed.
        reportError(outcome.error());
        return kExitTrainingFailed;
    }
    std::printf("run %lld: checkpoints in %s\n", (long long)job.runId(),
                train::runDirectory(db, job.runId()).string().c_str());
    return kExitOk;
}

// The runs of one repeat group: `count` runs of one config, with seeds firstSeed, firstSeed + 1,
// ..., named "<name>-r<i>" and tagged repeat:<group>, where the group is "<name>-<local time>".
struct Repeats
{
    std::string name;
    std::string group;
    std::uint64_t firstSeed = 0;
    std::int64_t count = 0;

    Repeats(const train::RunConfig &config, const train::RunJobOptions &options, std::int64_t n)
        : name(options.name.empty() ? config.name : options.name)
        , firstSeed(config.training.seed)
        , count(n)
    {
        // "fashion-cnn-20261204T051500": the name and the local time to the second.
        std::string stamp = util::isoLocalTime(util::unixNow()).substr(0, 19);
        std::erase_if(stamp, [](char c) { return c == '-' || c == ':'; });
        group = name + "-" + stamp;
    }
    std::string tag() const { return std::string(track::kRepeatTagPrefix) + group; }
    std::string runName(std::int64_t i) const { return name + "-r" + std::to_string(i + 1); }
    std::uint64_t seed(std::int64_t i) const { return firstSeed + std::uint64_t(i); }

    void announce(int workers) const
    {
        std::printf("repeat group %s: %lld runs, seeds %llu to %llu", group.c_str(),
                    (long long)count, (unsigned long long)firstSeed,
                    (unsigned long long)seed(count - 1));
        if (workers > 1)
            std::printf(", %d at a time in child processes", workers);
        std::printf("\n");
        std::fflush(stdout);
    }
    int finish(std::int64_t started, int failed, bool stopped) const
    {
        if (stopped) {
            std::printf("repeat group %s: stopped after starting %lld of %lld runs\n",
                        group.c_str(), (long long)started, (long long)count);
            return kExitOk;
        }
        std::printf("repeat group %s: %lld of %lld runs finished; `lathe-cli compare --group-by "
                    "repeat` shows the group\n",
                    group.c_str(), (long long)(count - failed), (long long)count);
        return failed ? kExitTrainingFailed : kExitOk;
    }
};

// Trains the repeats one after the other in this process. A run that fails does not stop the
// others (exit 4 at the end); Ctrl-C stops the running one and the rest.
int trainRepeatsHere(train::RunConfig config, train::RunJobOptions options, const Repeats &repeats,
                     const std::string &torchscript)
{
    options.tags.push_back(repeats.tag());
    int failed = 0;
    for (std::int64_t i = 0; i < repeats.count; ++i) {
        config.training.seed = repeats.seed(i);
        options.name = repeats.runName(i);
        bool stopped = false;
        const int code
            = runJob(train::RunJob::createNew(config, options), options.db, torchscript, &stopped);
        if (stopped)
            return repeats.finish(i + 1, failed, true);
        if (code != kExitOk)
            ++failed;
    }
    return repeats.finish(repeats.count, failed, false);
}

// Trains the repeats in child processes of this executable (`train CONFIG` with the run's name,
// seed and tag), `workers` at a time, as a sweep's workers run (child_processes.h); Ctrl-C stops
// the running ones and starts no more.
int trainRepeatsInChildren(const ParsedArgs &a, const std::string &file,
                           const std::vector<std::string> &extra, const Repeats &repeats,
                           int workers)
{
    std::vector<std::string> common{"lathe-cli", "train", file, "--db", storePath(a).string()};
    for (const auto &assignment : extra)
        common.insert(common.end(), {"--set", assignment});
    for (const char *option : {"--set", "--tag", "--max-steps"})
        if (auto it = a.values.find(option); it != a.values.end())
            for (const auto &value : it->second)
                common.insert(common.end(), {option, value});
    common.insert(common.end(), {"--tag", repeats.tag()});

    std::stop_source stop;
    const auto watcher = watchStopSignals(stop, "\nstopping the runs: each finishes its step "
                                                "and writes a checkpoint (it can be resumed)\n");
    ChildProcesses children("lathe-cli train");
    std::int64_t started = 0;
    for (; started < repeats.count; ++started) {
        children.waitUntil(std::size_t(workers - 1), stop);
        if (stop.stop_requested())
            break;
        auto args = common;
        args.insert(args.end(), {"--name", repeats.runName(started), "--set",
                                 "training.seed=" + std::to_string(repeats.seed(started))});
        children.start(args, "run " + repeats.runName(started));
    }
    children.waitUntil(0, stop);
    return repeats.finish(started, children.failures(), stop.stop_requested());
}

// Reads CONFIG.json (positional `configAt`), applies --set and `extra` overrides, and trains it
// as a new run.
int trainNew(const ParsedArgs &a, std::size_t configAt, const std::vector<std::string> &extra,
             const char *command)
{
    const std::string &file = a.positionals[configAt];
    auto json = train::readConfigJson(file);
    if (!json)
        return reportError(json.error());
    std::vector<std::string> overrides = extra;
    if (auto it = a.values.find("--set"); it != a.values.end())
        overrides.insert(overrides.begin(), it->second.begin(), it->second.end());
    for (const auto &assignment : overrides)
        if (auto ok = train::applyOverride(*json, assignment); !ok)
            return reportError(ok.error());
    auto config = train::RunConfig::fromJson(*json);
    if (!config) {
        auto error = config.error();
        error.context = file + ": " + error.context;
        return reportError(error);
    }
    train::RunJobOptions options;
    options.db = storePath(a);
    options.name = a.value("--name").value_or("");
    auto steps = parseInteger(a.value("--max-steps").value_or("0"));
    if (!steps || *steps < 0) {
        std::fprintf(stderr, "lathe-cli %s: --max-steps needs a whole number >= 0\n", command);
        return kExitUsage;
    }
    options.maxSteps = *steps;
    if (auto it = a.values.find("--tag"); it != a.values.end())
        options.tags = it->second;
    const std::string torchscript = config->finetune.torchscript;
    if (!torchscript.empty())
        warnTorchScript(torchscript); // before it loads
    const auto repeats = parseInteger(a.value("--repeat").value_or("1"));
    if (!repeats || *repeats < 1 || *repeats > 1000) {
        std::fprintf(stderr, "lathe-cli %s: --repeat needs a whole number from 1 to 1000\n",
                     command);
        return kExitUsage;
    }
    const auto workers = parseInteger(a.value("--workers").value_or("1"));
    if (!workers || *workers < 1 || *workers > 64 || (*workers > 1 && *repeats == 1)) {
        std::fprintf(stderr,
                     "lathe-cli %s: --workers needs a whole number from 1 to 64, and "
                     "goes with --repeat\n",
                     command);
        return kExitUsage;
    }
    if (*repeats == 1)
        return runJob(train::RunJob::createNew(*config, options), options.db, torchscript);
    const Repeats group(*config, options, *repeats);
    group.announce(int(*workers));
    if (*workers > 1)
        return trainRepeatsInChildren(a, file, extra, group, int(*workers));
    return trainRepeatsHere(*config, options, group, torchscript);
}

} // namespace

int trainCommand(const std::vector<std::string> &args)
{
    blockStopSignals();
    const CommandSpec spec{
        {"--db", "--name", "--set", "--max-steps", "--tag", "--repeat", "--workers"}, {}, 1, 1};
    auto parsed = parseArgs(args, spec);
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr,
                     "lathe-cli train: %s\nusage: lathe-cli train CONFIG.json [--db "
                     "PATH] [--name NAME] [--set key=value]... [--max-steps N] [--tag TAG]... "
                     "[--repeat N [--workers K]]\n",
                     message->c_str());
        return kExitUsage;
    }
    return trainNew(std::get<ParsedArgs>(parsed), 0, {}, "train");
}

int finetuneCommand(const std::vector<std::string> &args)
{
    blockStopSignals();
    const CommandSpec spec{{"--db", "--name", "--set", "--max-steps", "--checkpoint"}, {}, 2, 2};
    auto parsed = parseArgs(args, spec);
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr,
                     "lathe-cli finetune: %s\nusage: lathe-cli finetune RUN CONFIG.json "
                     "[--checkpoint best|last|epoch-N] [--db PATH] [--name NAME] "
                     "[--set key=value]... [--max-steps N]\n",
                     message->c_str());
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    // As strings, so a run named "12" and run 12 both resolve through the store.
    const nlohmann::json run = a.positionals[0];
    const nlohmann::json checkpoint = a.value("--checkpoint").value_or("");
    return trainNew(a, 1,
                    {"finetune.run=" + run.dump(), "finetune.checkpoint=" + checkpoint.dump()},
                    "finetune");
}

int resumeCommand(const std::vector<std::string> &args)
{
    blockStopSignals();
    auto parsed = parseArgs(args, CommandSpec{{"--db", "--max-steps"}, {}, 1, 1});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr,
                     "lathe-cli resume: %s\nusage: lathe-cli resume RUN [--db PATH] "
                     "[--max-steps N]\n",
                     message->c_str());
        return kExitUsage;
    }
    const auto &a = std::get<ParsedArgs>(parsed);
    train::RunJobOptions options;
    options.db = storePath(a);
    auto steps = parseInteger(a.value("--max-steps").value_or("0"));
    if (!steps || *steps < 0) {
        std::fprintf(stderr, "lathe-cli resume: --max-steps needs a whole number >= 0\n");
        return kExitUsage;
    }
    options.maxSteps = *steps;
    return runJob(train::RunJob::resumeExisting(a.positionals[0], options), options.db);
}

} // namespace lathe::cli
