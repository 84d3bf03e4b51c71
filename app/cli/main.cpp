// lathe-cli: train, resume, list, show, compare, evaluate and inspect runs, and run sweeps, from
// a terminal.
#include "app/cli/commands.h"

#include "core/plugin/loader.h"
#include "core/privacy/install.h"
#include "core/robust/install.h"
#include "core/util/allocator.h"
#include "core/util/build_info.h"
#include "core/util/log.h"
#include "core/util/paths.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace {

/// Takes every "--plugin-dir DIR" / "--plugin-dir=DIR" out of `args`; false when one has no
/// folder after it.
bool takePluginDirs(std::vector<std::string> &args, std::vector<std::filesystem::path> &dirs)
{
    const std::string option = "--plugin-dir";
    for (auto it = args.begin(); it != args.end();) {
        if (*it == option) {
            if (it + 1 == args.end())
                return false;
            dirs.emplace_back(*(it + 1));
            it = args.erase(it, it + 2);
        } else if (it->starts_with(option + "=")) {
            dirs.emplace_back(it->substr(option.size() + 1));
            it = args.erase(it);
        } else {
            ++it;
        }
    }
    return true;
}

/// Puts `dirs` in front of $LATHE_PLUGIN_PATH, so that the lathe-cli processes this one starts
/// (a sweep's workers) load the plugins it loaded.
void passPluginDirsOn(const std::vector<std::filesystem::path> &dirs)
{
    if (dirs.empty())
        return;
    std::string path;
    for (const auto &dir : dirs) {
        std::error_code ec;
        const auto absolute = std::filesystem::absolute(dir, ec);
        path += (ec ? dir : absolute).string() + ":";
    }
    if (const char *old = std::getenv("LATHE_PLUGIN_PATH"))
        path += old;
    ::setenv("LATHE_PLUGIN_PATH", path.c_str(), 1);
}

constexpr const char *kUsage = R"(usage: lathe-cli <command> [options]
       lathe-cli --version

commands:
  train CONFIG.json [--db PATH] [--name NAME] [--set key.path=value]... [--max-steps N]
        [--tag TAG]... [--repeat N [--workers K]] [DATA PARALLEL]
                    train a run from a config; --set overrides any key by its dotted path;
                    --repeat N trains it N times with seeds seed, seed+1, ... as one group
                    (each run tagged repeat:NAME-TIME), K at a time in child processes
  finetune RUN CONFIG.json [--checkpoint best|last|epoch-N] [--db PATH] [--name NAME]
           [--set key.path=value]... [--max-steps N] [DATA PARALLEL]
                    train CONFIG starting from RUN's checkpoint (its model; a new head when
                    the classes differ); the new run records RUN as its parent
  resume RUN [--db PATH] [--max-steps N] [DATA PARALLEL]
                    continue a stopped or interrupted run from its last checkpoint
    DATA PARALLEL: --nproc N [--nnodes M --node-rank R --master-addr HOST] [--master-port P]
                    train one run with N worker processes on this node (torchrun's flags and
                    variables; docs/data-parallel.md); SIGUSR1 pauses it, SIGUSR2 resumes
  runs [--db PATH] [--filter TEXT] [--status STATUS] [--json]
                    list runs, newest first
  show RUN [--db PATH] [--json]
                    a run's status, config, final metrics, artifacts and events
  compare RUN RUN... [--db PATH] [--json]
                    the config keys that differ, and the runs' final metrics
  compare [RUN...] --group-by KEY [--group-by KEY] [--metric KEY]... [--db PATH] [--json]
                    runs (all when none are named) grouped by a config key, repeat, sweep
                    or tags: each group's count and final metrics' mean, std, min and max
  compare A B --stats [--metric KEY] [--db PATH] [--json]
                    is B better than A? A and B are runs (a run's repeat group when it has
                    one) or KEY=VALUE; Welch's t-test, a permutation test, the 95% interval
                    of the difference and the config keys that differ
  eval RUN [--checkpoint best|last] [--db PATH] [--json]
                    evaluate a run's checkpoint on the test set
  inspect RUN --sample I --what featuremaps|gradcam|ig|saliency|occlusion|attention
          --out DIR [--checkpoint best|last|epoch-N] [--layer NAME] [--steps 32] [--db PATH]
                    write PNGs of what a checkpoint sees in test sample I
  confusion RUN [--checkpoint best|last|epoch-N] [--db PATH] [--json]
                    a checkpoint's confusion matrix and per-class scores on the test set
  export RUN --format torchscript|onnx|safetensors --out DIR [--quantize int8] [--prune P]
         [--checkpoint best|last|epoch-N] [--db PATH]
                    write a checkpoint for deployment, checked against it (exit 3 when the
                    check fails), with config.json and a model card (MODEL_CARD.md + JSON)
  sweep SPEC.json [--workers K] [--trials N] [--set key.path=value]... [--max-steps N]
        [--db PATH]
                    create a hyperparameter sweep from a spec and run it with K worker
                    processes; each trial is a run tagged sweep:ID and trial:N
  sweep resume ID [--worker] [--workers K] [--set key.path=value]... [--max-steps N]
                    go on with a sweep: re-run the trials its dead workers left, ask new
                    ones; --worker joins a running sweep as one more worker
  sweep show ID [--db PATH] [--json]
                    a sweep's trials, its best trial and config, parameter importance
  robustness RUN [--eps 0.05,0.1,0.2] [--attack pgd|fgsm] [--steps 40] [--step-size S]
             [--restarts R] [--no-random-start] [--limit N] [--checkpoint C] [--db PATH]
             [--json]
                    accuracy under an L-infinity attack at each epsilon (pixel units, images
                    in [0, 1]) on the first N test samples; stored as the run's
                    "robustness" event
  dataset issues [--config CONFIG | --run RUN] [--folds K] [--no-store] [--csv OUT] [--json]
                    suspected label errors by confident learning: K-fold training of CONFIG's
                    model on its training set (K runs stored as one repeat group, unless
                    --no-store), or RUN's held-out test set (docs/data-quality.md)
  dataset duplicates [--config CONFIG] [--max-hamming H] [--max-rms R] [--csv OUT] [--json]
                    exact and near copies within and across the train and test splits
  import PATH [--format tensorboard|mlflow] [--db PATH] [--json]
                    TensorBoard event files (a file, or a folder: a run per folder of them)
                    or an MLflow file store (mlruns, an experiment or a run) as finished runs:
                    params as config keys, scalars as metrics; damaged records are warned
                    about with their byte offset and skipped; runs imported before are skipped
  export-metrics RUN... --out DIR [--db PATH]
                    each run's metrics as a long CSV (run,key,step,epoch,time,value) and its
                    config as JSON, in DIR
  sweeps [--db PATH] [--json]
                    list sweeps: status, trials done, best value
  plugins [--json]  the plugins found, what each registers, and why any was refused
  info              LibTorch version, threads, CUDA devices and the paths Lathe uses

Every command takes --plugin-dir DIR (repeatable): a folder of plugins to load besides
$LATHE_PLUGIN_PATH, $XDG_DATA_HOME/lathe/plugins and the bundled ones.

RUN is a run id or name. The database is --db, else $LATHE_DB, else
$XDG_DATA_HOME/lathe/lathe.db. Exit codes: 0 done, 2 usage, 3 bad input,
4 training failed. Ctrl-C during training writes a checkpoint and marks the run stopped.
)";

} // namespace

int main(int argc, char **argv)
{
    using namespace lathe::cli;
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")
        || !std::strcmp(argv[1], "help")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? kExitUsage : kExitOk;
    }
    if (!std::strcmp(argv[1], "--version")) {
        std::printf("lathe-cli %s\n", lathe::util::latheVersionString().c_str());
        return kExitOk;
    }
    const std::map<std::string, std::function<int(const std::vector<std::string> &)>> commands{
        {"train", trainCommand},
        {"finetune", finetuneCommand},
        {"resume", resumeCommand},
        {"runs", runsCommand},
        {"show", showCommand},
        {"compare", compareCommand},
        {"eval", evalCommand},
        {"info", infoCommand},
        {"inspect", inspectCommand},
        {"confusion", confusionCommand},
        {"plugins", pluginsCommand},
        {"export", exportCommand},
        {"sweep", sweepCommand},
        {"sweeps", sweepsCommand},
        {"robustness", robustnessCommand},
        {"dataset", datasetCommand},
        {"import", importCommand},
        {"export-metrics", exportMetricsCommand},
    };
    auto command = commands.find(argv[1]);
    if (command == commands.end()) {
        std::fprintf(stderr, "lathe-cli: unknown command \"%s\"\n\n%s", argv[1], kUsage);
        return kExitUsage;
    }
    std::vector<std::string> args(argv + 2, argv + argc);
    std::vector<std::filesystem::path> pluginDirs;
    if (!takePluginDirs(args, pluginDirs)) {
        std::fprintf(stderr, "lathe-cli: --plugin-dir needs a folder\n");
        return kExitUsage;
    }
    lathe::util::configureAllocator();
    lathe::util::setupLogging(lathe::util::dataDir() / "logs", "warn");
    lathe::plugin::loadPlugins(lathe::plugin::pluginDirs(pluginDirs));
    passPluginDirsOn(pluginDirs);
    lathe::robust::installAdversarialTraining(); // the "adversarial" config section
    lathe::privacy::installDpSgd();              // the "privacy" config section
    return command->second(args);
}
