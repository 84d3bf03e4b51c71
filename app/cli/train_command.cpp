// lathe-cli train / resume: run a RunJob on the main thread while a watcher thread waits for
// Ctrl-C (stop_signals.h).
#include "app/cli/child_processes.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/stop_signals.h"

#include "core/dist/data_parallel_group.h"
#include "core/dist/dist_options.h"
#include "core/train/autocast_scope.h"
#include "core/track/run_groups.h"
#include "core/train/run_job.h"
#include "core/util/clock.h"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace lathe::cli {

namespace {

// Training runs on the main thread, the thread that loaded the data: its OpenMP team is then
// the process's only one. A second team (a training thread's next to the main thread's idle
// one) makes libgomp count more threads than cores and put its workers to sleep after every
// parallel region instead of spinning: thousands of futex wake-ups a second, ~15% of the step.
// `stopped`: whether Ctrl-C (or SIGTERM) stopped it. SIGUSR1 pauses it (data parallel: this is
// rank 0, which pauses every rank), SIGUSR2 resumes it.
Result<train::TrainOutcome> runWithSignals(train::RunJob &job, bool &stopped)
{
    std::stop_source stopSource;
    const auto watcher = watchStopSignals(stopSource, "\nstopping: finishing the step and writing "
                                                      "a checkpoint (the run can be resumed)\n");
    const auto pauser = watchPauseSignals([&trainer = job.trainer()](bool pause) {
        std::fprintf(stderr,
                     pause ? "\npausing after the step (SIGUSR2 resumes)\n" : "\nresuming\n");
        pause ? trainer.pause() : trainer.resume();
    });
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

// The gradient reducer's switches, for benches (bench/dist_scaling.sh): LATHE_DIST_OVERLAP=0
// launches every bucket's all-reduce after backward (no overlap); LATHE_DIST_BUCKET_KB caps a
// bucket (default DDP's 25 MiB).
dist::ReducerOptions reducerFromEnvironment()
{
    dist::ReducerOptions options;
    if (const char *overlap = std::getenv("LATHE_DIST_OVERLAP"))
        options.overlap = std::string_view(overlap) != "0";
    if (const char *kb = std::getenv("LATHE_DIST_BUCKET_KB"); kb && std::atoll(kb) > 0)
        options.bucketBytes = std::atoll(kb) * 1024;
    return options;
}

// A data-parallel rank other than 0: trains `trainer` beside rank 0 and records nothing.
int trainQuietRank(Result<std::unique_ptr<train::Trainer>> trainer)
{
    if (!trainer)
        return reportError(trainer.error());
    std::stop_source stopSource;
    const auto watcher = watchStopSignals(stopSource, "");
    auto outcome = (*trainer)->run(stopSource.get_token());
    if (!outcome) {
        reportError(outcome.error());
        return kExitTrainingFailed;
    }
    return kExitOk;
}

// One rank of a data-parallel run (torchrun's variables in the environment: a worker of
// `--nproc`, or started by a cluster's launcher). Rank 0 trains the run with the store as a plain
// train does; the other ranks train beside it and write nothing. Every rank meets the others
// first, so a mismatch (world size, config) leaves the store untouched.
int trainRank(const dist::DistOptions &where, const train::RunConfig &config,
              train::RunJobOptions options, const std::string &torchscript)
{
    auto group = dist::DataParallelGroup::connect(where, config, reducerFromEnvironment());
    if (!group)
        return reportError(group.error());
    options.dataParallel = *group;
    if (where.rank == 0) // RunJob records the world in the run's params (dist.world_size, ...)
        return runJob(train::RunJob::createNew(config, options), options.db, torchscript);
    // The same trainer (a fine-tune's stored runs resolved alike); rank 0 alone evaluates and
    // records the test set.
    return trainQuietRank(train::RunJob::newRankTrainer(config, options));
}

// The stored config of run `runRef`, read by every rank of a data-parallel resume before they
// meet (its hash is the one they compare); a run that cannot be resumed is refused here, by every
// rank alike. `writable`: open the store for writing, which marks a run whose process is gone
// (a killed rank 0) interrupted; the other ranks only read.
Result<train::RunConfig> resumableConfig(const std::filesystem::path &db, const std::string &runRef,
                                         bool writable)
{
    auto store = writable ? track::RunStore::open(db) : track::RunStore::openForReading(db);
    if (!store)
        return std::unexpected(store.error());
    auto info = (*store)->findRun(runRef);
    if (!info)
        return std::unexpected(info.error());
    const std::string where = "run " + std::to_string(info->id) + " (" + info->name + ")";
    if (info->status == track::RunStatus::Finished)
        return std::unexpected(
            Error{ErrorCode::InvalidArgument, "the run has already finished", where});
    if (info->status == track::RunStatus::Running || info->status == track::RunStatus::Paused)
        return std::unexpected(Error{ErrorCode::InvalidArgument,
                                     "the run is being trained by another process", where});
    return train::storedConfig(*info);
}

// One rank of a data-parallel resume, whatever the world size the run trained with: every rank
// restores the same checkpoint (the sampler's state in it is global: epoch and global batch), so
// the steps after it see the samples one process would have.
int resumeRank(const dist::DistOptions &where, const std::string &runRef,
               train::RunJobOptions options)
{
    auto config = resumableConfig(options.db, runRef, where.rank == 0);
    if (!config)
        return reportError(config.error());
    auto group = dist::DataParallelGroup::connect(where, *config, reducerFromEnvironment());
    if (!group)
        return reportError(group.error());
    options.dataParallel = *group;
    if (where.rank == 0)
        return runJob(train::RunJob::resumeExisting(runRef, options), options.db);
    return trainQuietRank(train::RunJob::resumeTrainer(runRef, options));
}

// A TCP port of 127.0.0.1 free a moment ago, for a single node's rendezvous; 0 when none.
int freeLocalPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0
                    && ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &length) == 0;
    ::close(fd);
    return ok ? ntohs(addr.sin_port) : 0;
}

// How long the other workers of a data-parallel run get, once one failed, to end by themselves
// (they do at their next collective when the failed one's sockets closed) before SIGTERM, and as
// long again before SIGKILL (one stuck in a collective until the timeout).
constexpr std::chrono::seconds kWorkerGrace{10};

// `--nproc N [--nnodes M --node-rank R --master-addr A --master-port P]`: this node's N workers
// as child processes (child_processes.h), each running `common` with torchrun's variables (ranks
// R*N .. R*N+N-1 of M*N) and, unless the config sets training.threads (`configThreads`), the cores
// split between them (LATHE_THREADS). Ctrl-C reaches every worker. A worker that fails ends the
// others (ChildProcesses::stopOthersOnFailure); the exit code is then the first failed worker's.
int launchWorkers(const ParsedArgs &a, const std::vector<std::string> &common,
                  std::int64_t configThreads, const char *command)
{
    const auto usage = [command](const char *message) {
        std::fprintf(stderr, "lathe-cli %s: %s\n", command, message);
        return kExitUsage;
    };
    const auto nproc = parseInteger(a.value("--nproc").value_or("1"));
    if (!nproc || *nproc < 1 || *nproc > 64)
        return usage("--nproc needs a whole number from 1 to 64");
    const auto nnodes = parseInteger(a.value("--nnodes").value_or("1"));
    if (!nnodes || *nnodes < 1 || *nnodes > 4096)
        return usage("--nnodes needs a whole number from 1 to 4096");
    const auto nodeRank = parseInteger(a.value("--node-rank").value_or("0"));
    if (!nodeRank || *nodeRank < 0 || *nodeRank >= *nnodes)
        return usage("--node-rank needs a whole number from 0 to --nnodes - 1");
    if (*nnodes > 1 && !a.value("--master-addr"))
        return usage("--nnodes above 1 needs --master-addr (the host of node rank 0)");
    const std::string addr = a.value("--master-addr").value_or("127.0.0.1");
    // One node picks a free port itself; nodes must agree on one (torchrun's default, 29500).
    const auto port = a.value("--master-port")
                          ? parseInteger(*a.value("--master-port"))
                          : std::optional<std::int64_t>(*nnodes > 1 ? 29500 : freeLocalPort());
    if (!port || *port < 1 || *port > 65535)
        return usage("--master-port needs a port from 1 to 65535");

    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    const std::int64_t threads
        = configThreads > 0 ? configThreads : std::max<std::int64_t>(1, cores / *nproc);
    const std::int64_t world = *nnodes * *nproc;
    const std::int64_t first = *nodeRank * *nproc;
    std::printf("data parallel: ranks %lld to %lld of %lld on this node, %lld thread%s each, "
                "rendezvous at %s:%lld\n",
                (long long)first, (long long)(first + *nproc - 1), (long long)world,
                (long long)threads, threads == 1 ? "" : "s", addr.c_str(), (long long)*port);
    std::fflush(stdout);

    std::stop_source stop;
    const auto watcher = watchStopSignals(stop, "\nstopping: every worker finishes its step and "
                                                "rank 0 writes a checkpoint (the run can be "
                                                "resumed)\n");
    ChildProcesses children(std::string("lathe-cli ") + command);
    children.stopOthersOnFailure(kWorkerGrace);
    // Pause and resume (SIGUSR1, SIGUSR2) go to every worker; rank 0 alone acts on them.
    const auto pauser = watchPauseSignals(
        [&children](bool pause) { children.signalAll(pause ? SIGUSR1 : SIGUSR2); });
    for (std::int64_t local = 0; local < *nproc; ++local) {
        const std::int64_t rank = first + local;
        std::vector<std::string> env{"WORLD_SIZE=" + std::to_string(world),
                                     "RANK=" + std::to_string(rank),
                                     "LOCAL_RANK=" + std::to_string(local),
                                     "LOCAL_WORLD_SIZE=" + std::to_string(*nproc),
                                     "MASTER_ADDR=" + addr,
                                     "MASTER_PORT=" + std::to_string(*port)};
        if (configThreads == 0 && !std::getenv("LATHE_THREADS"))
            env.push_back("LATHE_THREADS=" + std::to_string(threads));
        children.start(common, "worker " + std::to_string(rank), env);
    }
    children.waitUntil(0, stop);
    if (children.failures() == 0)
        return kExitOk;
    // Refused input (exit 3) is refused before any run row exists: nothing to resume.
    if (children.firstFailure() == kExitBadInput)
        return kExitBadInput;
    // A rank 0 that was killed left its run "running": opening the store marks it interrupted.
    if (auto store = track::RunStore::open(storePath(a)); !store)
        reportError(store.error());
    std::fprintf(stderr,
                 "lathe-cli %s: a worker failed, so the data-parallel run stopped; it is "
                 "stored as interrupted: `lathe-cli resume RUN [--nproc N]` continues it from its "
                 "last checkpoint\n",
                 command);
    return children.firstFailure();
}

// `train CONFIG --nproc N ...`: the workers each run `train CONFIG` with the same arguments.
int trainDataParallel(const ParsedArgs &a, const std::string &file,
                      const std::vector<std::string> &extra, const train::RunConfig &config,
                      const char *command)
{
    if (a.value("--repeat") || a.value("--workers")) {
        std::fprintf(stderr,
                     "lathe-cli %s: --nproc trains one run: it does not go with --repeat or "
                     "--workers\n",
                     command);
        return kExitUsage;
    }
    std::vector<std::string> common{"lathe-cli", "train", file, "--db", storePath(a).string()};
    for (const auto &assignment : extra)
        common.insert(common.end(), {"--set", assignment});
    for (const char *option : {"--set", "--tag", "--max-steps", "--name"})
        if (auto it = a.values.find(option); it != a.values.end())
            for (const auto &value : it->second)
                common.insert(common.end(), {option, value});
    return launchWorkers(a, common, config.training.threads, command);
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
    // Data parallel: this node's workers, or one of them (torchrun's variables set).
    if (a.value("--nproc"))
        return trainDataParallel(a, file, extra, *config, command);
    for (const char *flag : {"--nnodes", "--node-rank", "--master-addr", "--master-port"})
        if (a.value(flag)) {
            std::fprintf(stderr, "lathe-cli %s: %s goes with --nproc\n", command, flag);
            return kExitUsage;
        }
    auto rank = dist::optionsFromEnvironment();
    if (!rank)
        return reportError(rank.error());
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
    if (*rank) {
        if (*repeats != 1)
            return reportError(Error{ErrorCode::InvalidArgument,
                                     "a data-parallel worker trains one run, not --repeat",
                                     "WORLD_SIZE"});
        return trainRank(**rank, *config, options, torchscript);
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
    const CommandSpec spec{{"--db", "--name", "--set", "--max-steps", "--tag", "--repeat",
                            "--workers", "--nproc", "--nnodes", "--node-rank", "--master-addr",
                            "--master-port"},
                           {},
                           1,
                           1};
    auto parsed = parseArgs(args, spec);
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr,
                     "lathe-cli train: %s\nusage: lathe-cli train CONFIG.json [--db "
                     "PATH] [--name NAME] [--set key=value]... [--max-steps N] [--tag TAG]... "
                     "[--repeat N [--workers K]] [--nproc N [--nnodes M --node-rank R "
                     "--master-addr HOST] [--master-port P]]\n",
                     message->c_str());
        return kExitUsage;
    }
    return trainNew(std::get<ParsedArgs>(parsed), 0, {}, "train");
}

int finetuneCommand(const std::vector<std::string> &args)
{
    blockStopSignals();
    const CommandSpec spec{{"--db", "--name", "--set", "--max-steps", "--checkpoint", "--nproc",
                            "--nnodes", "--node-rank", "--master-addr", "--master-port"},
                           {},
                           2,
                           2};
    auto parsed = parseArgs(args, spec);
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr,
                     "lathe-cli finetune: %s\nusage: lathe-cli finetune RUN CONFIG.json "
                     "[--checkpoint best|last|epoch-N] [--db PATH] [--name NAME] "
                     "[--set key=value]... [--max-steps N] [--nproc N [--nnodes M --node-rank R "
                     "--master-addr HOST] [--master-port P]]\n",
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
    auto parsed = parseArgs(args, CommandSpec{{"--db", "--max-steps", "--nproc", "--nnodes",
                                               "--node-rank", "--master-addr", "--master-port"},
                                              {},
                                              1,
                                              1});
    if (auto *message = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr,
                     "lathe-cli resume: %s\nusage: lathe-cli resume RUN [--db PATH] "
                     "[--max-steps N] [--nproc N [--nnodes M --node-rank R --master-addr HOST] "
                     "[--master-port P]]\n",
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
    const std::string &runRef = a.positionals[0];
    // Data parallel: this node's workers, whatever world size the run trained with.
    if (a.value("--nproc")) {
        auto config = resumableConfig(options.db, runRef, true);
        if (!config)
            return reportError(config.error());
        std::vector<std::string> common{"lathe-cli", "resume", runRef, "--db", options.db.string()};
        if (auto limit = a.value("--max-steps"))
            common.insert(common.end(), {"--max-steps", *limit});
        return launchWorkers(a, common, config->training.threads, "resume");
    }
    for (const char *flag : {"--nnodes", "--node-rank", "--master-addr", "--master-port"})
        if (a.value(flag)) {
            std::fprintf(stderr, "lathe-cli resume: %s goes with --nproc\n", flag);
            return kExitUsage;
        }
    auto rank = dist::optionsFromEnvironment();
    if (!rank)
        return reportError(rank.error());
    if (*rank)
        return resumeRank(**rank, runRef, options);
    return runJob(train::RunJob::resumeExisting(runRef, options), options.db);
}

} // namespace lathe::cli
